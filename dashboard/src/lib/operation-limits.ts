/**
 * Operation limits as the pages show them: one bar per limited window of the usage answer's
 * `operations` block ("Videos today: 1 of 3 videos, resets Jan 16, 00:00"), and one line per limit on
 * a plan card ("3 videos a day"). Both pages read these, so the billing page and the admin console
 * word a limit the same way. Operation ids are catalog keys (`api_call`); they read as nouns.
 */
import { formatCount, formatDateTime, formatMoney, percentOf } from './format.js'; // .js: the tests import this file under NodeNext too

export type OperationWindow = 'minute' | 'hour' | 'day' | 'month';

export interface OperationWindowUsage {
  used: number;
  limit: number | null;
  remaining: number | null;
  resets_at: string;
}

/** `GET /api/v1/usage`'s `operations`: month always, the other windows when the plan limits them. */
export type OperationsUsage = Record<string, Partial<Record<OperationWindow, OperationWindowUsage>>>;

/** A plan's `limits.operations` entry (`GET /api/v1/plans`). */
export interface OperationLimits {
  minute: number | null;
  hour: number | null;
  day: number | null;
  month: number | null;
  overage: { unit_amount: number; per: number; cap_amount: number | null } | null;
}

const windows: readonly OperationWindow[] = ['minute', 'hour', 'day', 'month'];

const windowPhrase: Record<OperationWindow, string> = {
  minute: 'this minute',
  hour: 'this hour',
  day: 'today',
  month: 'this period',
};

const perPhrase: Record<OperationWindow, string> = {
  minute: 'a minute',
  hour: 'an hour',
  day: 'a day',
  month: 'a month',
};

/** Words people write in capitals inside operation ids (`api_call` reads "API calls"). */
const acronyms = new Set(['api', 'ai', 'gpu', 'cpu', 'llm', 'sms', 'url', 'pdf', 'ocr']);

/** `api_call` -> "API calls", `video` -> "videos", `tokens` -> "tokens"; `count` 1 keeps the singular. */
export function operationNoun(operation: string, count = 2): string {
  const words = operation
    .split(/[_.-]+/)
    .filter((word) => word !== '')
    .map((word) => (acronyms.has(word) ? word.toUpperCase() : word));
  const last = words.pop() ?? operation;
  const pluralized =
    count === 1 || /s$/i.test(last) || acronyms.has(last.toLowerCase())
      ? last
      : /(ch|sh|x|z)$/i.test(last)
        ? `${last}es`
        : `${last}s`;
  return [...words, pluralized].join(' ');
}

function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export interface OperationMeter {
  /** `op-<operation>-<window>`, for test ids and the bar's label id. */
  id: string;
  label: string;
  used: number;
  limit: number;
  percent: number | null;
  detail: string;
  resetsAt: string;
}

/**
 * One bar per window with a limit above 0, in catalog order then minute to month. A window limited
 * to 0 (not included on the plan) has nothing to fill; the plan card says so instead.
 */
export function operationMeters(operations: OperationsUsage | undefined): OperationMeter[] {
  const meters: OperationMeter[] = [];
  for (const [operation, byWindow] of Object.entries(operations ?? {})) {
    for (const window of windows) {
      const usage = byWindow[window];
      if (usage === undefined || usage.limit === null || usage.limit <= 0) continue;
      meters.push({
        id: `op-${operation}-${window}`.replace(/[^a-zA-Z0-9_-]/g, '-'),
        label: `${capitalized(operationNoun(operation))} ${windowPhrase[window]}`,
        used: usage.used,
        limit: usage.limit,
        percent: percentOf(usage.used, usage.limit),
        detail: `${formatCount(usage.used)} of ${formatCount(usage.limit)}, resets ${formatDateTime(usage.resets_at)}`,
        resetsAt: usage.resets_at,
      });
    }
  }
  return meters;
}

/**
 * "3 videos a day", "100 API calls a month", "Videos not included", "Past the limit: $0.50 per 1,000
 * API calls": a plan card's lines, per operation.
 */
export function operationLimitLines(
  operations: Record<string, OperationLimits> | undefined,
  currency: string,
): string[] {
  const lines: string[] = [];
  for (const [operation, limits] of Object.entries(operations ?? {})) {
    if (windows.some((window) => limits[window] === 0)) {
      lines.push(`${capitalized(operationNoun(operation))} not included`);
      continue;
    }
    for (const window of windows) {
      const limit = limits[window];
      if (limit === null) continue;
      lines.push(`${formatCount(limit)} ${operationNoun(operation, limit)} ${perPhrase[window]}`);
    }
    const { overage } = limits;
    if (overage !== null)
      lines.push(
        `Past the limit: ${formatMoney(overage.unit_amount, currency)} per ${formatCount(overage.per)} ${operationNoun(operation, overage.per)}`,
      );
  }
  return lines;
}
