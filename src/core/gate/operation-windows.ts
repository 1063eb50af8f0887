/**
 * Operation limits in time: which windows a debit of an operation counts in (fixed UTC windows of
 * billing time taken at the moment the usage happened, so a back-dated event lands in the window it
 * belongs to; `month` is the credit period the debit is charged to), and where each window of every
 * operation stands for the usage answer. Pure: the store's counters come in as figures.
 */
import {
  type Catalog,
  FIXED_WINDOW_MS,
  monthCeiling,
  OPERATION_WINDOWS,
  type OperationLimit,
  type OperationWindow,
  type Plan,
} from '../catalog/catalog.js';
import { type GrantAllowance, raiseLimit } from '../contract/grants.js';
import { type Period, windowStart } from '../periods.js';
import type { WindowDebit, WindowKey } from '../ports.js';

/** The window of `window` kind that holds `at`; `month` is the credit period. */
export function windowBounds(window: OperationWindow, at: number, period: Period): Period {
  if (window === 'month') return period;
  const size = FIXED_WINDOW_MS[window];
  const start = windowStart(at, size);
  return { start, end: start + size };
}

const NO_WINDOWS: readonly WindowDebit[] = Object.freeze([]);

/**
 * The windows a debit counts in, in the fixed order minute, hour, day, month (the first full one is
 * the one a denial names). Empty when the plan does not limit the operation.
 * @param period the credit period the debit is charged to
 * @param occurredAt when the usage happened
 */
export function windowDebits(
  limit: OperationLimit | undefined,
  period: Period,
  occurredAt: number,
): readonly WindowDebit[] {
  if (limit === undefined) return NO_WINDOWS;
  const debits: WindowDebit[] = [];
  for (const window of OPERATION_WINDOWS) {
    const units = limit.windows[window];
    if (units === undefined) continue;
    const { start } = windowBounds(window, occurredAt, period);
    const billed = window === 'month' && limit.overage !== null;
    debits.push({
      window,
      start,
      limit: billed ? monthCeiling(limit) : units,
      included: billed ? units : null,
    });
  }
  return debits;
}

/**
 * The debits with the `month` window raised by the operation's grants (limit, and included when it
 * bills overage, so granted units are never billed). A plan that does not limit the operation per
 * month has no such window: its grants then raise nothing (it is limited by credits alone).
 */
export function grantedWindows(
  debits: readonly WindowDebit[],
  allowance: GrantAllowance | undefined,
): readonly WindowDebit[] {
  if (allowance === undefined) return debits;
  return debits.map((debit) =>
    debit.window === 'month'
      ? {
          ...debit,
          limit: raiseLimit(debit.limit, allowance),
          included: raiseLimit(debit.included, allowance),
        }
      : debit,
  );
}

/** One window of one operation as the usage answer shows it. */
export interface WindowStanding {
  used: number;
  /** The plan's limit (included units when it bills overage); null = unlimited. */
  limit: number | null;
  remaining: number | null;
  /** End of the window (epoch ms). */
  resetAt: number;
}

export type OperationStanding = Partial<Record<OperationWindow, WindowStanding>>;

/** The counters to read for a usage answer at `now`: every limited window of every operation. */
export function standingKeys(plan: Plan, now: number, period: Period): WindowKey[] {
  const keys: WindowKey[] = [];
  for (const [operation, limit] of Object.entries(plan.limits.operations)) {
    for (const window of OPERATION_WINDOWS) {
      if (limit.windows[window] === undefined) continue;
      keys.push({ operation, window, start: windowBounds(window, now, period).start });
    }
  }
  return keys;
}

/**
 * Every operation of the catalog with its `month` window (always) and the other windows the plan
 * limits, as of `now`.
 * @param counted the counters of `standingKeys`, in that order
 * @param monthTotals units recorded this period by operation (for months the plan does not limit)
 * @param grants what grants add to each operation's month: its `remaining` counts them (its `limit`
 *   stays the plan's)
 */
export function operationStandings(
  catalog: Catalog,
  plan: Plan,
  now: number,
  period: Period,
  counted: readonly number[],
  monthTotals: Readonly<Record<string, number>>,
  grants: Readonly<Record<string, GrantAllowance>> = {},
): Record<string, OperationStanding> {
  const keys = standingKeys(plan, now, period);
  const byKey = new Map(
    keys.map((key, index) => [`${key.operation}\u0000${key.window}`, counted[index] ?? 0]),
  );
  const standings: Record<string, OperationStanding> = {};
  for (const operation of Object.keys(catalog.operations)) {
    const limit = plan.limits.operations[operation];
    const standing: OperationStanding = {};
    for (const window of OPERATION_WINDOWS) {
      const units = limit?.windows[window];
      if (units === undefined && window !== 'month') continue;
      const used =
        units === undefined ? (monthTotals[operation] ?? 0) : (byKey.get(`${operation}\u0000${window}`) ?? 0);
      const allowed = window === 'month' ? raiseLimit(units ?? null, grants[operation]) : (units ?? null);
      standing[window] = {
        used,
        limit: units ?? null,
        remaining: allowed === null ? null : Math.max(0, allowed - used),
        resetAt: windowBounds(window, now, period).end,
      };
    }
    standings[operation] = standing;
  }
  return standings;
}
