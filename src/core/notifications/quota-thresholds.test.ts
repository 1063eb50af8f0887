import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { quotaThresholdsCrossed } from './quota-thresholds.js';

describe('quotaThresholdsCrossed', () => {
  it('names each threshold a debit crosses, in order', () => {
    expect(quotaThresholdsCrossed(79_000, 91_000, 100_000)).toEqual(['quota_80', 'quota_90']);
    expect(quotaThresholdsCrossed(0, 100_000, 100_000)).toEqual(['quota_80', 'quota_90', 'quota_100']);
    expect(quotaThresholdsCrossed(80_000, 89_999, 100_000)).toEqual([]);
    expect(quotaThresholdsCrossed(79_999, 80_000, 100_000)).toEqual(['quota_80']);
  });

  it('names none for an unlimited or empty quota, or a debit of nothing', () => {
    expect(quotaThresholdsCrossed(0, 10 ** 9, null)).toEqual([]);
    expect(quotaThresholdsCrossed(0, 10, 0)).toEqual([]);
    expect(quotaThresholdsCrossed(50, 50, 100)).toEqual([]);
  });

  it('sends each warning exactly once over any sequence of debits in a period', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000 }),
        fc.array(fc.integer({ min: 0, max: 3_000 })),
        (limit, costs) => {
          let used = 0;
          const sent: string[] = [];
          for (const cost of costs) {
            sent.push(...quotaThresholdsCrossed(used, used + cost, limit));
            used += cost;
          }
          const expected = [80, 90, 100].filter((percent) => used * 100 >= limit * percent).length;
          expect(sent).toHaveLength(expected);
          expect(new Set(sent).size).toBe(sent.length);
        },
      ),
    );
  });
});
