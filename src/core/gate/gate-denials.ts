/**
 * How the gate turns a refused check into its decision: the reason, what was refused (a rate window,
 * an operation window, storage) and when to retry, in the clock that limit follows (wall time for
 * rate windows, billing time for credits and operation windows).
 */
import type { PlanLimits } from '../catalog/catalog.js';
import { MINUTE_MS } from '../periods.js';
import type { Customer, RateWindow, WindowDenial } from '../ports.js';
import {
  buildDecision,
  type DecisionFigures,
  type DenyReason,
  type GateDecision,
  type Refusal,
  secondsUntil,
} from './gate-decision.js';

/** Billing time and wall time of one decision, read once. */
export interface Times {
  now: number;
  rateNow: number;
}

export function markDenied(
  figures: DecisionFigures,
  reason: DenyReason,
  refusal: Refusal | null = null,
): void {
  figures.allowed = false;
  figures.reason = reason;
  figures.refusal = refusal;
}

export function deny(
  figures: DecisionFigures,
  reason: DenyReason,
  times: Times,
  refusal: Refusal | null = null,
  window?: RateWindow,
  retryAfterSeconds?: number,
): GateDecision {
  const { now, rateNow } = times;
  markDenied(figures, reason, refusal);
  if (window) {
    figures.retryAfterSeconds = Math.max(1, secondsUntil(window.windowStart + window.windowMs, rateNow));
  } else if (retryAfterSeconds !== undefined) figures.retryAfterSeconds = retryAfterSeconds;
  else if (reason === 'quota_exceeded') {
    figures.retryAfterSeconds = Math.max(1, secondsUntil(figures.credits.resetAt, now));
  }
  return buildDecision(figures, rateNow);
}

/** Refused by an operation limit: `quota_exceeded` naming the window, retry when it resets. */
export function denyWindow(
  figures: DecisionFigures,
  denial: WindowDenial,
  operation: string,
  requested: number,
  times: Times,
): GateDecision {
  figures.refusedWindow = { operation, ...denial, requested };
  const figure = figures.operation?.windows.find((window) => window.window === denial.window);
  if (figure !== undefined) {
    figure.used = denial.used;
    figure.remaining = Math.max(0, figure.limit - denial.used);
  }
  const resetIn = figure?.resetIn ?? secondsUntil(figures.credits.resetAt, times.now);
  return deny(figures, 'quota_exceeded', times, null, undefined, Math.max(1, resetIn));
}

/** A refused request window as the error body names it. */
export function rateRefusal(window: RateWindow): Refusal {
  return { kind: 'rate', window: window.windowMs === MINUTE_MS ? 'minute' : 'day', limit: window.limit };
}

/** The storage refusal when the storage this request adds would pass a limit; null otherwise. */
export function storageRefusal(
  limits: PlanLimits,
  customer: Customer,
  storage: { bytes?: number; items?: number } | undefined,
): Refusal | null {
  if (!storage) return null;
  const { storageBytes, storageItems } = limits;
  const bytes = storage.bytes ?? 0;
  const items = storage.items ?? 0;
  const exceeded =
    (storageBytes !== null && customer.storageBytes + bytes > storageBytes) ||
    (storageItems !== null && customer.storageItems + items > storageItems);
  if (!exceeded) return null;
  return {
    kind: 'storage',
    current: { bytes: customer.storageBytes, items: customer.storageItems },
    requested: { bytes, items },
    limits: { bytes: storageBytes, items: storageItems },
  };
}
