/**
 * One-off grants ("100k bonus tokens"): credits or units of one operation given to a customer for the
 * current period or until used, spent before the plan's quota. Pure: the store's grant rows and period
 * counters come in, the standing of every grant and what it adds to the period's limits come out.
 *
 * A grant adds what is left of it to the limit of each period it is active in, and usage is attributed
 * to grants first: a unit counted at position x of a period's counter goes to the active grant with the
 * soonest expiry that still has some left and whose baseline is at or below x (a grant made mid-period
 * has as baseline the counter's value when it was made; in later periods, 0). Admission is unchanged:
 * the store admits against the raised limit in its transaction, so grants are as exact as the quota.
 * See docs/decisions/014-grants.md.
 */
import type { Period } from '../periods.js';

export type GrantExpiry = 'period' | 'until_used';

export interface Grant {
  id: string;
  customerId: string;
  /** null: credits (amount in milli-credits); else units of this operation (its `month` window). */
  operation: string | null;
  /** Milli-credits or units granted (a positive integer). */
  amount: number;
  expires: GrantExpiry;
  /**
   * Period grants: the end of the period they were made in. Until-used grants: an optional date; the
   * grant stays usable through the credit period that date falls in (never cut mid-period).
   */
  expiresAt: number | null;
  /** Start of the credit period the grant was made in. */
  periodStart: number;
  /** The counter (credits, or the operation's month window) of that period when the grant was made. */
  baseline: number;
  createdAt: number;
  /** Who made it (admin key id, or a name given by the CLI); null when unknown. */
  createdBy: string | null;
  reason: string | null;
  idempotencyKey: string;
  revokedAt: number | null;
  /** The unspent part a revoke took back (0 when not revoked): the grant is worth `amount - revokedAmount`. */
  revokedAmount: number;
}

/** A period counter as stored: credits (operation null) or an operation's `month` window. */
export interface GrantCounter {
  operation: string | null;
  periodStart: number;
  used: number;
}

/** A customer's grants with the counters of the periods since the oldest one that may still count. */
export interface GrantBook {
  grants: readonly Grant[];
  counters: readonly GrantCounter[];
}

export type GrantStatus = 'active' | 'used' | 'expired' | 'revoked';

export interface GrantStanding {
  grant: Grant;
  /** Spent so far (milli-credits or units). */
  used: number;
  /** Left to spend now (0 once expired, revoked or used up). */
  remaining: number;
  status: GrantStatus;
}

/**
 * What a period's active grants add to a limit: the remaining of grants active since the period began,
 * and each grant made during it with its baseline (ascending), which `raiseLimit` folds in.
 */
export interface GrantAllowance {
  fromStart: number;
  midPeriod: readonly { baseline: number; remaining: number }[];
}

export interface GrantPosition {
  /** Every grant, oldest first. */
  standings: GrantStanding[];
  /** What grants add to the credit quota of the period. */
  credits: GrantAllowance | undefined;
  /** What grants add to each operation's `month` window of the period. */
  operations: Record<string, GrantAllowance>;
}

/** Counters of the current period, when known (the usage answer); the gate needs none. */
export interface CurrentUsage {
  credits: number;
  operations: Readonly<Record<string, number>>;
}

const CREDITS = '';

/**
 * The standing of every grant in `period`, and what the active ones add to its limits.
 * @param current the period's counters now, for the grants' `used` (without it, usage in `period` is
 *   taken from `book.counters` when present, else as none)
 * @example
 * const position = grantPosition(book, access.period);
 * const ceiling = raiseLimit(creditCeiling(plan), position.credits);
 */
export function grantPosition(book: GrantBook, period: Period, current?: CurrentUsage): GrantPosition {
  const byResource = new Map<string, Grant[]>();
  for (const grant of book.grants) {
    const resource = grant.operation ?? CREDITS;
    const list = byResource.get(resource) ?? [];
    list.push(grant);
    byResource.set(resource, list);
  }
  const standings = new Map<string, GrantStanding>();
  const position: GrantPosition = { standings: [], credits: undefined, operations: {} };
  for (const [resource, grants] of byResource) {
    const counters = new Map<number, number>();
    for (const counter of book.counters) {
      if ((counter.operation ?? CREDITS) === resource) counters.set(counter.periodStart, counter.used);
    }
    const nowUsed =
      current === undefined
        ? counters.get(period.start)
        : resource === CREDITS
          ? current.credits
          : current.operations[resource];
    if (nowUsed !== undefined) counters.set(period.start, nowUsed);
    else counters.delete(period.start);

    const left = new Map(grants.map((grant) => [grant.id, grant.amount - grant.revokedAmount]));
    const spent = new Map(grants.map((grant) => [grant.id, 0]));
    const starts = [...counters.keys()].filter((start) => start < period.start).sort((a, b) => a - b);
    for (const start of starts) {
      attribute(activeIn(grants, start, left), start, counters.get(start) ?? 0, left, spent);
    }
    // What the grants active in this period add to its limit, as they stood when it began.
    const active = activeIn(grants, period.start, left);
    const allowance: GrantAllowance = {
      fromStart: active
        .filter((grant) => grant.periodStart < period.start)
        .reduce((sum, grant) => sum + (left.get(grant.id) ?? 0), 0),
      midPeriod: active
        .filter((grant) => grant.periodStart >= period.start)
        .sort((a, b) => a.baseline - b.baseline || a.createdAt - b.createdAt)
        .map((grant) => ({ baseline: grant.baseline, remaining: left.get(grant.id) ?? 0 })),
    };
    if (resource === CREDITS) position.credits = allowance;
    else position.operations[resource] = allowance;
    const usedNow = counters.get(period.start);
    if (usedNow !== undefined) attribute(active, period.start, usedNow, left, spent);

    for (const grant of grants) {
      const isActive = active.includes(grant);
      const remaining = isActive ? (left.get(grant.id) ?? 0) : 0;
      const used = spent.get(grant.id) ?? 0;
      const status: GrantStatus =
        remaining > 0
          ? 'active'
          : grant.revokedAt !== null
            ? 'revoked'
            : used >= grant.amount
              ? 'used'
              : 'expired';
      standings.set(grant.id, { grant, used, remaining, status });
    }
  }
  for (const grant of book.grants) {
    const standing = standings.get(grant.id);
    if (standing !== undefined) position.standings.push(standing);
  }
  return position;
}

const positions = new WeakMap<GrantBook, { start: number; position: GrantPosition }>();

/**
 * `grantPosition` without current usage (what the gate needs), kept per book for the last period asked:
 * the gate asks it per request, and a cached customer's book changes only when it is read again.
 */
export function grantsInPeriod(book: GrantBook, period: Period): GrantPosition {
  const known = positions.get(book);
  if (known !== undefined && known.start === period.start) return known.position;
  const position = grantPosition(book, period);
  positions.set(book, { start: period.start, position });
  return position;
}

/**
 * A limit raised by a period's grants: the remaining of those active since the period began is added,
 * then each grant made during it in baseline order: `max(limit, baseline) + remaining` (a grant made
 * while the counter was already past the limit, by a settled reservation, still gives its full amount).
 * Null (unlimited) stays null.
 */
export function raiseLimit(limit: number | null, allowance: GrantAllowance | undefined): number | null {
  if (limit === null || allowance === undefined) return limit;
  let raised = limit + allowance.fromStart;
  for (const { baseline, remaining } of allowance.midPeriod) raised = Math.max(raised, baseline) + remaining;
  return raised;
}

/** Left of all grants of a position's allowance (for "remaining" figures that include grants). */
export function allowanceTotal(allowance: GrantAllowance | undefined): number {
  if (allowance === undefined) return 0;
  return allowance.fromStart + allowance.midPeriod.reduce((sum, grant) => sum + grant.remaining, 0);
}

/**
 * Grants usable in the period starting at `start`, soonest expiry first (then oldest): made in or before
 * it, not expired before it began, something left.
 */
function activeIn(grants: readonly Grant[], start: number, left: ReadonlyMap<string, number>): Grant[] {
  return grants
    .filter(
      (grant) =>
        grant.periodStart <= start &&
        (grant.expiresAt === null || grant.expiresAt > start) &&
        (left.get(grant.id) ?? 0) > 0,
    )
    .sort(
      (a, b) =>
        (a.expiresAt ?? Number.POSITIVE_INFINITY) - (b.expiresAt ?? Number.POSITIVE_INFINITY) ||
        a.createdAt - b.createdAt ||
        (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
    );
}

/**
 * Attributes the period's usage [0, used) to its grants: between consecutive baselines, each unit goes
 * to the first grant (in `active`'s order) already made there with something left; the rest is the plan's.
 */
function attribute(
  active: readonly Grant[],
  start: number,
  used: number,
  left: Map<string, number>,
  spent: Map<string, number>,
): void {
  const baselineOf = (grant: Grant) => (grant.periodStart === start ? grant.baseline : 0);
  const marks = [...new Set(active.map(baselineOf))].sort((a, b) => a - b);
  marks.forEach((mark, index) => {
    const next = Math.min(marks[index + 1] ?? used, used);
    let units = next - mark;
    for (const grant of active) {
      if (units <= 0) break;
      if (baselineOf(grant) > mark) continue;
      const available = left.get(grant.id) ?? 0;
      const take = Math.min(available, units);
      if (take <= 0) continue;
      left.set(grant.id, available - take);
      spent.set(grant.id, (spent.get(grant.id) ?? 0) + take);
      units -= take;
    }
  });
}
