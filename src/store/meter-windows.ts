/**
 * Which meter-outbox rows a batch of admitted events adds to. Both `commitUsage` paths call this inside
 * their transaction, so the outbox receives exactly the overage the batch records, summed in JS first:
 * one upsert per (customer, window) per batch however many events it holds, and none for a batch
 * without overage (the common case costs one loop over the events).
 */
import type { UsageEvent } from '../core/ports.js';

/** Tollgate's one meter: overage in milli-credits, whatever the operation. */
export const OVERAGE_METER = 'overage';
/** One hour: at most 24 meter events per customer a day, closed soon enough to bill before the invoice. */
export const DEFAULT_METER_WINDOW_MS = 3_600_000;

export interface MeterWindowDelta {
  customerId: string;
  windowStart: number;
  windowEnd: number;
  /** Milli-credits to add. */
  value: number;
}

/**
 * Windows are aligned to the epoch (so to UTC hours for the default) and placed by `recordedAt`, the
 * commit's time: a window then stops receiving usage when its end passes, and the sender, which waits
 * a little longer, reports it whole. A window never starts before the event's credit period, so its
 * meter event (timestamped at the window start) lands in the Stripe billing period the overage belongs
 * to even when the period does not begin on a window boundary.
 * @returns deltas sorted by customer, then window (the order PostgreSQL locks the rows in).
 */
export function overageWindows(events: readonly UsageEvent[], windowMs: number): MeterWindowDelta[] {
  let windows: Map<string, MeterWindowDelta> | undefined;
  for (const event of events) {
    if (event.overage <= 0) continue;
    const at = Math.max(event.recordedAt, event.periodStart);
    const aligned = at - (at % windowMs);
    const windowStart = Math.max(aligned, event.periodStart);
    const key = `${event.customerId}\u0000${windowStart}`;
    windows ??= new Map();
    const window = windows.get(key);
    if (window === undefined) {
      windows.set(key, {
        customerId: event.customerId,
        windowStart,
        windowEnd: aligned + windowMs,
        value: event.overage,
      });
    } else {
      window.value += event.overage;
    }
  }
  if (windows === undefined) return [];
  return [...windows.values()].sort((a, b) =>
    a.customerId < b.customerId ? -1 : a.customerId > b.customerId ? 1 : a.windowStart - b.windowStart,
  );
}

export function checkMeterWindowMs(windowMs: number): number {
  if (!Number.isInteger(windowMs) || windowMs < 1000) {
    throw new TypeError(`meter window must be a whole number of ms, at least 1000: ${windowMs}`);
  }
  return windowMs;
}
