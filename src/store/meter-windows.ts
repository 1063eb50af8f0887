/**
 * Which meter-outbox rows a batch of admitted events adds to. Both `commitUsage` paths call this inside
 * their transaction, so the outbox receives exactly the overage the batch records, summed in JS first:
 * one upsert per (customer, meter, window) per batch however many events it holds, and none for a batch
 * without overage (the common case costs one loop over the events).
 */
import type { UsageEvent } from '../core/ports.js';

/** The plan-level credit overage's meter: milli-credits past the credit quota, whatever the operation. */
export const OVERAGE_METER = 'overage';
/** One hour: at most 24 meter events per customer a day, closed soon enough to bill before the invoice. */
export const DEFAULT_METER_WINDOW_MS = 3_600_000;

/**
 * The meter of one operation's overage (units of the operation past its month limit), one per
 * operation with `overage` in the catalog.
 * @example operationMeter('search'); // 'operation:search'
 */
export function operationMeter(operation: string): string {
  return `operation:${operation}`;
}

export interface MeterWindowDelta {
  customerId: string;
  /** `OVERAGE_METER` (milli-credits) or an `operationMeter` (units of the operation). */
  meter: string;
  windowStart: number;
  windowEnd: number;
  /** Amount to add, in the meter's unit. */
  value: number;
}

/**
 * Windows are aligned to the epoch (so to UTC hours for the default) and placed by `recordedAt`, the
 * commit's time: a window then stops receiving usage when its end passes, and the sender, which waits
 * a little longer, reports it whole. A window never starts before the event's credit period, so its
 * meter event (timestamped at the window start) lands in the Stripe billing period the overage belongs
 * to even when the period does not begin on a window boundary. An event's credit overage and its
 * operation's overage go to two meters, each placed the same way.
 * @returns deltas sorted by customer, meter, then window (the order PostgreSQL locks the rows in).
 */
export function overageWindows(events: readonly UsageEvent[], windowMs: number): MeterWindowDelta[] {
  let windows: Map<string, MeterWindowDelta> | undefined;
  const add = (event: UsageEvent, meter: string, value: number) => {
    const at = Math.max(event.recordedAt, event.periodStart);
    const aligned = at - (at % windowMs);
    const windowStart = Math.max(aligned, event.periodStart);
    const key = `${event.customerId}\u0000${meter}\u0000${windowStart}`;
    windows ??= new Map();
    const window = windows.get(key);
    if (window === undefined) {
      windows.set(key, {
        customerId: event.customerId,
        meter,
        windowStart,
        windowEnd: aligned + windowMs,
        value,
      });
    } else {
      window.value += value;
    }
  };
  for (const event of events) {
    if (event.overage > 0) add(event, OVERAGE_METER, event.overage);
    if (event.operationOverage !== undefined && event.operationOverage > 0) {
      add(event, operationMeter(event.operation), event.operationOverage);
    }
  }
  if (windows === undefined) return [];
  return [...windows.values()].sort(
    (a, b) =>
      compareText(a.customerId, b.customerId) ||
      compareText(a.meter, b.meter) ||
      a.windowStart - b.windowStart,
  );
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function checkMeterWindowMs(windowMs: number): number {
  if (!Number.isInteger(windowMs) || windowMs < 1000) {
    throw new TypeError(`meter window must be a whole number of ms, at least 1000: ${windowMs}`);
  }
  return windowMs;
}
