/**
 * A customer's request-rate windows and concurrency slot as the counters name them. The keys are
 * built once per customer: building and hashing fresh strings per request showed in the profile.
 */
import type { AccountAccess } from '../account.js';
import { DAY_MS, MINUTE_MS, windowStart } from '../periods.js';
import type { RateWindow } from '../ports.js';

interface CounterKeys {
  minute: string;
  day: string;
  slot: string;
}

/** Customers whose keys are kept; past it the map starts over. */
const KEPT_CUSTOMERS = 100_000;

export class CustomerWindows {
  private readonly keys = new Map<string, CounterKeys>();

  /** The counter keys of a customer. */
  keysOf(customerId: string): CounterKeys {
    let keys = this.keys.get(customerId);
    if (keys === undefined) {
      if (this.keys.size >= KEPT_CUSTOMERS) this.keys.clear();
      keys = {
        minute: `rate:${customerId}:minute`,
        day: `rate:${customerId}:day`,
        slot: `slot:${customerId}`,
      };
      this.keys.set(customerId, keys);
    }
    return keys;
  }

  /** The plan's per-minute and per-day request windows open at `now` (rate time). */
  rateWindows(customerId: string, access: AccountAccess, now: number): RateWindow[] {
    const windows: RateWindow[] = [];
    const { requestsPerMinute, requestsPerDay } = access.plan.limits;
    if (requestsPerMinute !== null) {
      windows.push({
        key: this.keysOf(customerId).minute,
        limit: requestsPerMinute,
        windowStart: windowStart(now, MINUTE_MS),
        windowMs: MINUTE_MS,
      });
    }
    if (requestsPerDay !== null) {
      windows.push({
        key: this.keysOf(customerId).day,
        limit: requestsPerDay,
        windowStart: windowStart(now, DAY_MS),
        windowMs: DAY_MS,
      });
    }
    return windows;
  }
}
