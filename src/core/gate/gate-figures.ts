/**
 * The figures behind a gate decision, as one request fills them in: the credits, the rate windows the
 * headers show, the operation's limited windows. Plain functions over one mutable `DecisionFigures`
 * per request, so filling them allocates nothing more than the figures themselves.
 */
import type { AccountAccess } from '../account.js';
import type { Catalog } from '../catalog/catalog.js';
import { raiseLimit } from '../contract/grants.js';
import { MINUTE_MS } from '../periods.js';
import type { RateWindow, WindowDebit } from '../ports.js';
import { type DecisionFigures, type OperationWindowFigures, secondsUntil } from './gate-decision.js';
import { isKeyWindow } from './key-limits.js';
import { windowBounds } from './operation-windows.js';

/**
 * A request's figures before any limit is checked: allowed, its cost, the credits used so far and
 * the operation's limited windows with their counts not read yet.
 */
export function openFigures(
  catalog: Catalog,
  customerId: string,
  access: AccountAccess,
  operation: string | undefined,
  quantity: number,
  cost: number,
  used: number,
  operationWindows: readonly WindowDebit[],
  now: number,
): DecisionFigures {
  const plan = access.plan;
  const figures: DecisionFigures = {
    allowed: true,
    reason: null,
    customerId,
    plan: plan.id,
    credits: {
      cost,
      used,
      limit: plan.limits.credits,
      effectiveLimit: raiseLimit(plan.limits.credits, access.grants?.credits),
      remaining: null,
      resetAt: access.period.end,
    },
    rate: { minute: null, day: null },
    refusal: null,
    operation:
      operation === undefined
        ? null
        : {
            id: operation,
            quantity,
            windows: operationWindows.map((window) => windowFigures(window, access, now)),
          },
    refusedWindow: null,
    refusedKey: null,
    retryAfterSeconds: null,
    upgradeUrl: catalog.upgradeUrl,
    eventId: null,
    replayed: false,
    contract: access.overrides,
  };
  setUsed(figures, used);
  return figures;
}

/** A limited window of the request's operation, its count not read yet. */
function windowFigures(window: WindowDebit, access: AccountAccess, now: number): OperationWindowFigures {
  const bounds = windowBounds(window.window, window.start, access.period);
  return {
    window: window.window,
    limit: window.included ?? window.limit ?? 0,
    used: null,
    remaining: null,
    resetAt: bounds.end,
    resetIn: secondsUntil(bounds.end, now),
    seconds: Math.round((bounds.end - bounds.start) / 1000),
  };
}

/** Fills the operation windows' counts (in `windowDebits` order). */
export function applyWindowUsage(
  figures: DecisionFigures,
  debits: readonly WindowDebit[],
  used: readonly number[],
): void {
  const windows = figures.operation?.windows ?? [];
  debits.forEach((_, index) => {
    const figure = windows[index];
    const count = used[index];
    if (figure === undefined || count === undefined) return;
    figure.used = count;
    figure.remaining = Math.max(0, figure.limit - count);
  });
}

export function applyRateCounts(
  figures: DecisionFigures,
  windows: RateWindow[],
  counts: number[],
  fallback: number,
): void {
  windows.forEach((window, index) => {
    // The headers show the customer's windows; a key's own show in its refusal and its usage.
    if (isKeyWindow(window)) return;
    const figure = {
      limit: window.limit,
      remaining: Math.max(0, window.limit - (counts[index] ?? fallback)),
      resetAt: window.windowStart + window.windowMs,
    };
    if (window.windowMs === MINUTE_MS) figures.rate.minute = figure;
    else figures.rate.day = figure;
  });
}

export function setUsed(figures: DecisionFigures, used: number): void {
  const limit = figures.credits.effectiveLimit;
  figures.credits = {
    ...figures.credits,
    used,
    remaining: limit === null ? null : Math.max(0, limit - used),
  };
}
