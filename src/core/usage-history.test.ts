import { describe, expect, it } from 'vitest';
import { DAY_MS } from './periods.js';
import { HOUR_MS, historyBucketCount, MAX_HISTORY_BUCKETS } from './usage-history.js';

describe('historyBucketCount', () => {
  const period = { start: Date.UTC(2026, 0, 1), end: Date.UTC(2026, 1, 1) };

  it('counts up to the bucket holding now, that one included', () => {
    expect(historyBucketCount(period, period.start, DAY_MS)).toBe(1);
    expect(historyBucketCount(period, period.start + DAY_MS - 1, DAY_MS)).toBe(1);
    expect(historyBucketCount(period, period.start + DAY_MS, DAY_MS)).toBe(2);
  });

  it('stops at the period end, and a 31-day period fits in hour buckets', () => {
    expect(historyBucketCount(period, period.end + 10 * DAY_MS, DAY_MS)).toBe(31);
    expect(historyBucketCount(period, period.end, HOUR_MS)).toBe(744);
    expect(744).toBeLessThanOrEqual(MAX_HISTORY_BUCKETS);
  });

  it('counts more than the limit for hours over a longer stretch (the route answers 400)', () => {
    const year = { start: Date.UTC(2026, 0, 1), end: Date.UTC(2027, 0, 1) };
    expect(historyBucketCount(year, year.end, HOUR_MS)).toBeGreaterThan(MAX_HISTORY_BUCKETS);
    expect(historyBucketCount(year, year.end, DAY_MS)).toBe(365);
  });
});
