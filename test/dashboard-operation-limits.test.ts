/**
 * How the pages word operation limits (dashboard/src/lib/operation-limits): bars only for windows
 * with a limit, plan-card lines per window, "not included" for a 0 limit, and the overage line.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  operationLimitLines,
  operationMeters,
  operationNoun,
} from '../dashboard/src/lib/operation-limits.js';

const resets = '2027-02-01T00:00:00.000Z';
const none = { minute: null, hour: null, day: null, month: null, overage: null };

describe('operation limits on the pages', () => {
  const zone = process.env.TZ;
  beforeAll(() => {
    process.env.TZ = 'UTC';
  });
  afterAll(() => {
    process.env.TZ = zone;
  });

  it('names operations as plural nouns, acronyms in capitals', () => {
    expect(operationNoun('api_call')).toBe('API calls');
    expect(operationNoun('video')).toBe('videos');
    expect(operationNoun('video', 1)).toBe('video');
    expect(operationNoun('match')).toBe('matches');
    expect(operationNoun('tokens')).toBe('tokens');
    expect(operationNoun('scraping_task')).toBe('scraping tasks');
  });

  it('draws a bar per limited window only, with its figures and reset time', () => {
    const meters = operationMeters({
      video: {
        day: { used: 1, limit: 3, remaining: 2, resets_at: resets },
        month: { used: 9, limit: null, remaining: null, resets_at: resets },
      },
      scraping_task: { month: { used: 0, limit: 0, remaining: 0, resets_at: resets } },
      tokens: { month: { used: 42_000, limit: 100_000, remaining: 58_000, resets_at: resets } },
    });
    expect(meters.map((meter) => [meter.id, meter.label, meter.percent])).toEqual([
      ['op-video-day', 'Videos today', 33],
      ['op-tokens-month', 'Tokens this period', 42],
    ]);
    expect(meters[1]?.detail).toMatch(/^42,000 of 100,000, resets /);
    expect(operationMeters(undefined)).toEqual([]);
  });

  it('lists a plan card line per limited window, 0 as not included, and the overage price', () => {
    expect(
      operationLimitLines(
        {
          match: { ...none, day: 200, month: 3000 },
          video: { ...none, day: 1 },
          scraping_task: { ...none, month: 0 },
          api_call: { ...none, month: 1000, overage: { unit_amount: 50, per: 1000, cap_amount: null } },
          search: none,
        },
        'usd',
      ),
    ).toEqual([
      '200 matches a day',
      '3,000 matches a month',
      '1 video a day',
      'Scraping tasks not included',
      '1,000 API calls a month',
      'Past the limit: $0.50 per 1,000 API calls',
    ]);
  });
});
