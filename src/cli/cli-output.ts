/**
 * How commands print: aligned tables for people, `--json` for scripts (the same shapes the HTTP API
 * answers, so one parser serves both), and option parsers whose errors name the option.
 */
import { InvalidArgumentError } from 'commander';

/** Prints `rows` under `headers`, columns padded to their widest cell; null shows as `-`. */
export function formatTable(headers: readonly string[], rows: ReadonlyArray<ReadonlyArray<unknown>>): string {
  const cells = [headers, ...rows].map((row) =>
    row.map((cell) => (cell === null || cell === undefined ? '-' : String(cell))),
  );
  const widths = headers.map((_, column) => Math.max(...cells.map((row) => (row[column] ?? '').length)));
  return cells
    .map((row) =>
      row
        .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
    .concat('\n');
}

/** Label/value lines, for one record. */
export function formatFields(fields: ReadonlyArray<readonly [string, unknown]>): string {
  const width = Math.max(0, ...fields.map(([label]) => label.length)) + 2;
  return fields
    .map(
      ([label, value]) =>
        `${`${label}:`.padEnd(width)}${value === null || value === undefined ? '-' : String(value)}`,
    )
    .join('\n')
    .concat('\n');
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** For `--limit`: a whole number in [1, max]. */
export function parseLimit(max: number): (value: string) => number {
  return (value) => {
    const number = Number(value);
    if (!/^\d+$/.test(value) || number < 1 || number > max) {
      throw new InvalidArgumentError(`expected a whole number from 1 to ${max}, got '${value}'`);
    }
    return number;
  };
}
