import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addMonths, billingPeriod, calendarMonth, DAY_MS, MINUTE_MS, windowStart } from './periods.js';

const utc = (iso: string) => Date.parse(iso);
const epochInRange = fc.integer({ min: utc('1990-01-01T00:00:00Z'), max: utc('2100-01-01T00:00:00Z') });

describe('periods', () => {
  it('renews an anchor on the 31st at the end of shorter months, then on the 31st again', () => {
    const anchor = utc('2027-01-31T10:00:00Z');
    expect(new Date(addMonths(anchor, 1)).toISOString()).toBe('2027-02-28T10:00:00.000Z');
    expect(new Date(addMonths(anchor, 2)).toISOString()).toBe('2027-03-31T10:00:00.000Z');
    expect(new Date(addMonths(anchor, 13)).toISOString()).toBe('2028-02-29T10:00:00.000Z');
  });

  it('treats February 29 in leap years and the century rule', () => {
    expect(calendarMonth(utc('2028-02-15T00:00:00Z')).end).toBe(utc('2028-03-01T00:00:00Z'));
    expect(new Date(addMonths(utc('2100-01-29T00:00:00Z'), 1)).toISOString()).toBe(
      '2100-02-28T00:00:00.000Z',
    );
    expect(new Date(addMonths(utc('2000-01-30T00:00:00Z'), 1)).toISOString()).toBe(
      '2000-02-29T00:00:00.000Z',
    );
  });

  it('puts a renewal instant in the new period, not the old one', () => {
    const anchor = utc('2026-03-15T12:00:00Z');
    const renewal = utc('2026-04-15T12:00:00Z');
    expect(billingPeriod(anchor, 1, renewal).start).toBe(renewal);
    expect(billingPeriod(anchor, 1, renewal - 1).end).toBe(renewal);
  });

  it('always finds a period that contains now, for any anchor and interval (property)', () => {
    fc.assert(
      fc.property(epochInRange, epochInRange, fc.constantFrom(1, 12), (anchor, now, months) => {
        const period = billingPeriod(anchor, months, now);
        expect(period.start).toBeLessThanOrEqual(now);
        expect(period.end).toBeGreaterThan(now);
        // Consecutive periods tile time with no gap: the next period starts where this one ends.
        expect(billingPeriod(anchor, months, period.end).start).toBe(period.end);
        // Every period starts on the anchor's day of month or on a month's last day.
        const start = new Date(period.start);
        const anchorDay = new Date(anchor).getUTCDate();
        const lastDay = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 0)).getUTCDate();
        expect(start.getUTCDate()).toBe(Math.min(anchorDay, lastDay));
      }),
      { numRuns: 2000 },
    );
  });

  it('answers the right calendar month across a month end, asked back and forth (it keeps the last one)', () => {
    const lastMs = utc('2028-02-29T23:59:59.999Z');
    const march = utc('2028-03-01T00:00:00Z');
    for (const now of [lastMs, march, lastMs, march - 1, march, utc('2028-03-31T23:59:59.999Z')]) {
      const month = calendarMonth(now);
      expect(month.start <= now && now < month.end).toBe(true);
      expect(month.start).toBe(now < march ? utc('2028-02-01T00:00:00Z') : march);
    }
  });

  it('calendar months and fixed windows contain now and are aligned (property)', () => {
    fc.assert(
      fc.property(epochInRange, (now) => {
        const month = calendarMonth(now);
        expect(month.start <= now && now < month.end).toBe(true);
        expect(new Date(month.start).getUTCDate()).toBe(1);
        expect(new Date(month.start).getUTCHours()).toBe(0);
        for (const size of [MINUTE_MS, DAY_MS]) {
          const start = windowStart(now, size);
          expect(start % size).toBe(0);
          expect(start <= now && now < start + size).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
