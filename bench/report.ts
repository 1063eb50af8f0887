/** How a run's figures are printed: one line per measurement, then the summary against the targets. */
import type { ConsumeResult } from './consume.js';
import type { LoadResult } from './load.js';
import {
  INGEST_BATCH_SIZE,
  ingestEventsPerSecond,
  type TargetRow,
  webhookEventsPerSecond,
} from './targets.js';

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const percent = (share: number): string => `${Math.round(share * 100)}%`;
const ms = (value: number): string => `${value.toFixed(2)} ms`;

export function formatLoad(label: string, result: LoadResult): string {
  const { server } = result;
  const parts = [
    `${label.padEnd(34)}${integer.format(result.requestsPerSecond).padStart(8)} req/s`,
    `p50 ${ms(result.latency.p50).padStart(9)}`,
    `p99 ${ms(result.latency.p99).padStart(9)}`,
    `server cpu ${percent(server.cpu).padStart(4)} (${serverMicrosPerRequest(result).toFixed(1)} µs/req)`,
    `loop ${percent(server.eventLoop).padStart(4)}`,
    `autocannon cpu ${percent(result.clientCpu).padStart(4)}`,
  ];
  if (result.otherCpu !== null) parts.push(`other cpu ${percent(result.otherCpu).padStart(4)}`);
  if (server.commits > 0) {
    parts.push(
      `${integer.format(server.commits / result.seconds)} commits/s of ${server.debitsPerCommit.toFixed(0)}` +
        ` (${percent(server.commitShare)} of the time in commitUsage)`,
    );
  }
  let line = `  ${parts.join('  ')}`;
  if (result.non2xx > 0 || result.errors > 0) {
    line += `\n  ${''.padEnd(34)}WARNING: ${result.non2xx} non-2xx responses, ${result.errors} errors`;
  }
  return line;
}

/** The columns every HTTP line ends with: latency, where the CPU went. */
function loadColumns(result: LoadResult, perUnit: number, unit: string): string[] {
  const { server } = result;
  const parts = [
    `p50 ${ms(result.latency.p50).padStart(9)}`,
    `p99 ${ms(result.latency.p99).padStart(9)}`,
    `server cpu ${percent(server.cpu).padStart(4)} (${perUnit.toFixed(1)} µs/${unit})`,
    `loop ${percent(server.eventLoop).padStart(4)}`,
    `autocannon cpu ${percent(result.clientCpu).padStart(4)}`,
  ];
  if (result.otherCpu !== null) parts.push(`other cpu ${percent(result.otherCpu).padStart(4)}`);
  return parts;
}

/** Share of the requests sent in the window that were answered 2xx (errors and timeouts count as not). */
export function share2xx(result: LoadResult): number {
  const sent = result.responses + result.errors;
  return sent === 0 ? 0 : (result.responses - result.non2xx) / sent;
}

function warnings(result: LoadResult): string {
  return result.non2xx > 0 || result.errors > 0
    ? `\n  ${''.padEnd(34)}WARNING: ${result.non2xx} non-2xx responses, ${result.errors} errors`
    : '';
}

/** A webhook run: new events applied per second, duplicates, the share answered 200, Stripe calls. */
export function formatWebhooks(label: string, result: LoadResult): string {
  const { counts } = result.server;
  const applied = webhookEventsPerSecond(result);
  const duplicates = (counts.duplicate ?? 0) / result.seconds;
  const cpuPerDelivery =
    result.requestsPerSecond === 0 ? 0 : (result.server.cpu * 1e6) / result.requestsPerSecond;
  const parts = [
    `${label.padEnd(34)}${integer.format(applied).padStart(8)} events/s applied`,
    `+ ${integer.format(duplicates)} duplicates/s`,
    `200: ${(share2xx(result) * 100).toFixed(2)}%`,
    ...loadColumns(result, cpuPerDelivery, 'delivery'),
    `ignored ${counts.ignored ?? 0}  failed ${counts.failed ?? 0}  Stripe calls ${counts.stripeRequests ?? 0}`,
  ];
  return `  ${parts.join('  ')}${warnings(result)}`;
}

/** An ingestion run: events per second answered 200 (batches x size), and events actually written. */
export function formatIngest(label: string, result: LoadResult): string {
  const { server } = result;
  const events = ingestEventsPerSecond(result);
  const cpuPerEvent = events === 0 ? 0 : (server.cpu * 1e6) / events;
  const parts = [
    `${label.padEnd(34)}${integer.format(events).padStart(8)} events/s`,
    `(${integer.format(result.requestsPerSecond)} batches of ${integer.format(INGEST_BATCH_SIZE)}/s;` +
      ` written ${integer.format(server.debits / result.seconds)}/s)`,
    ...loadColumns(result, cpuPerEvent, 'event'),
    `${integer.format(server.commits / result.seconds)} commits/s of ${server.debitsPerCommit.toFixed(0)}` +
      ` (${percent(server.commitShare)} in commitUsage)`,
  ];
  return `  ${parts.join('  ')}${warnings(result)}`;
}

/** Server CPU time per answered request: comparable across runs even when other processes took CPU. */
export function serverMicrosPerRequest(result: LoadResult): number {
  return result.requestsPerSecond === 0 ? 0 : (result.server.cpu * 1e6) / result.requestsPerSecond;
}

export function formatConsume(label: string, result: ConsumeResult): string {
  const { process } = result;
  return (
    `  ${label.padEnd(34)}${integer.format(result.consumesPerSecond).padStart(8)} consume()/s` +
    `  cpu ${percent(process.cpu)}  ${integer.format(process.commits / result.seconds)} commits/s of` +
    ` ${process.debitsPerCommit.toFixed(0)} (${percent(process.commitShare)} of the time in commitUsage)` +
    (result.denied > 0 ? `  WARNING: ${result.denied} denied` : '')
  );
}

export function formatValue(row: Pick<TargetRow, 'unit' | 'value'>): string {
  switch (row.unit) {
    case 'ratio':
      return row.value.toFixed(2);
    case 'times':
      return `${row.value.toFixed(1)}x`;
    case 'per-second':
      return `${integer.format(row.value)}/s`;
    case 'ms':
      return ms(row.value);
  }
}

export function formatSummary(rows: readonly TargetRow[]): string {
  const lines = [
    `  ${'Target'.padEnd(48)}${'Measured'.padStart(12)}  ${'Goal'.padEnd(14)}Result`,
    `  ${'-'.repeat(82)}`,
  ];
  for (const row of rows) {
    const target = formatValue({ unit: row.unit, value: row.target });
    const goal = row.reference ? `(ref ${target})` : `${row.comparison} ${target}`;
    const result = row.reference ? 'no target' : row.pass ? 'PASS' : 'MISS';
    lines.push(`  ${row.name.padEnd(48)}${formatValue(row).padStart(12)}  ${goal.padEnd(14)}${result}`);
  }
  return lines.join('\n');
}
