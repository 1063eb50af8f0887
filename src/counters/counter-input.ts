/**
 * Checks of the numbers a caller passes in. The Redis counters send a tick's calls as one script, and
 * one bad number there (NaN in an expiry) would fail every call of the batch; checking each call
 * first fails only that call, and the memory counters apply the same checks so both behave alike.
 * A bad argument is a bug in the caller, so it is an error, not a denial.
 */
import type { RateWindow } from '../core/ports.js';

/** Answers why these windows cannot be counted, or undefined when they can. */
export function checkWindows(windows: readonly RateWindow[]): TypeError | undefined {
  for (let i = 0; i < windows.length; i++) {
    const { key, limit, windowStart, windowMs } = windows[i]!;
    if (typeof key !== 'string' || !Number.isFinite(windowStart) || !(windowMs > 0 && windowMs < Infinity)) {
      return new TypeError(`rate window ${i} needs a key, a finite windowStart and a positive windowMs`);
    }
    if (Number.isNaN(limit)) return new TypeError(`rate window ${i} ("${key}") has no limit`);
  }
  return undefined;
}

/** Answers why this slot cannot be requested, or undefined when it can. */
export function checkSlotRequest(limit: number, now: number, expiresAt: number): TypeError | undefined {
  if (Number.isNaN(limit) || !Number.isFinite(now) || !Number.isFinite(expiresAt)) {
    return new TypeError('acquireSlot needs a limit and a finite now and expiresAt');
  }
  return undefined;
}
