/**
 * A customer's usage over its current credit period, in day or hour buckets aligned on the period
 * start, every bucket present (zeros filled) so a chart needs no gap logic. The sums come from one
 * grouped store query (`Store.usageTotals`), so they add up to the period counter exactly.
 */
import { DAY_MS, type Period } from './periods.js';
import type { Store, UsageBucket } from './ports.js';

export const HOUR_MS = 3_600_000;
export const historyBucketMs = { day: DAY_MS, hour: HOUR_MS } as const;
export type HistoryBucket = keyof typeof historyBucketMs;

/** Most buckets one answer holds: a year of days, a month of hours. */
export const MAX_HISTORY_BUCKETS = 800;

/** How many buckets cover the period from its start to now (the bucket holding now included), or to its end. */
export function historyBucketCount(period: Period, now: number, bucketMs: number): number {
  const last = Math.min(Math.max(now, period.start), period.end - 1);
  return Math.floor((last - period.start) / bucketMs) + 1;
}

/**
 * The period's usage from its start to now in `count` buckets of `bucketMs` (use historyBucketCount).
 * @example
 * const count = historyBucketCount(access.period, now, DAY_MS);
 * const days = await usageHistory(store, 'cus_1', access.period, count, DAY_MS);
 */
export async function usageHistory(
  store: Store,
  customerId: string,
  period: Period,
  count: number,
  bucketMs: number,
): Promise<UsageBucket[]> {
  const end = Math.min(period.start + count * bucketMs, period.end);
  const totals = await store.usageTotals(customerId, period.start, end, bucketMs);
  const byStart = new Map(totals.map((bucket) => [bucket.start, bucket]));
  return Array.from({ length: count }, (_, index) => {
    const start = period.start + index * bucketMs;
    return byStart.get(start) ?? { start, credits: 0, events: 0 };
  });
}
