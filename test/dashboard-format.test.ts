/**
 * The pages' formatting helpers that read raw API values: periods shown once when they start and end on
 * the same day, counts with the noun that agrees, credits arriving as decimal strings or JSON numbers.
 * Dates are read in UTC here; what is checked holds in any locale.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  formatCredits,
  formatDayLabel,
  formatMonth,
  formatPeriod,
  plural,
  toMilli,
} from '../dashboard/src/lib/format.js';

describe('page formatting', () => {
  const zone = process.env.TZ;
  beforeAll(() => {
    process.env.TZ = 'UTC';
  });
  afterAll(() => {
    process.env.TZ = zone;
  });

  it('shows a same-day period once and a real period as a range', () => {
    const day = formatPeriod('2026-12-02T10:00:00Z', '2026-12-02T10:00:00Z');
    expect(day).not.toContain('–');
    expect(day).toMatch(/2026/);
    const range = formatPeriod('2026-12-02T10:00:00Z', '2027-01-02T10:00:00Z');
    expect(range.split(' – ')).toHaveLength(2);
    expect(formatPeriod(null, null)).toBe('—');
  });

  it('agrees the noun with the count', () => {
    expect(plural(1, 'customer', 'customers')).toBe('1 customer');
    expect(plural(0, 'customer', 'customers')).toBe('0 customers');
    expect(plural(2, 'customer', 'customers')).toBe('2 customers');
  });

  it('reads credits as JSON numbers, exactly', () => {
    expect(formatCredits(4250.5)).toBe('4,250.5');
    expect(formatCredits(100000)).toBe('100,000');
    expect(formatCredits(null)).toBe('Unlimited');
    expect(toMilli(0.1)).toBe(100);
    expect(toMilli(12.345)).toBe(12345);
  });

  it('labels chart days and months in one style', () => {
    expect(formatDayLabel('2026-12-02')).toMatch(/Dec/);
    expect(formatDayLabel('2026-12-02')).toMatch(/\b2\b/);
    expect(formatMonth('2026-12')).toMatch(/Dec/);
    expect(formatMonth('2026-12')).toMatch(/2026/);
  });
});
