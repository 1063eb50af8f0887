import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatCredits, MAX_MILLI_CREDITS } from '../core/credits.js';
import { credits } from './wire-format.js';

describe('credits on the wire', () => {
  it('are JSON numbers with the exact decimal text of the milli-credits', () => {
    expect(JSON.stringify({ credits_used: credits(4_250_500) })).toBe('{"credits_used":4250.5}');
    expect(JSON.stringify([credits(100), credits(1005), credits(0), credits(-2500)])).toBe(
      '[0.1,1.005,0,-2.5]',
    );
    expect(credits(null)).toBeNull();
  });

  it('print every figure up to the largest exactly as the integer says (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -MAX_MILLI_CREDITS, max: MAX_MILLI_CREDITS }), (milli) => {
        expect(JSON.stringify(credits(milli))).toBe(formatCredits(milli));
      }),
      { numRuns: 20_000 },
    );
    // The edges, where a double has the fewest spare digits.
    for (const milli of [
      MAX_MILLI_CREDITS,
      MAX_MILLI_CREDITS - 1,
      999_999_999_999_001,
      123_456_789_012_345,
    ]) {
      expect(JSON.stringify(credits(milli))).toBe(formatCredits(milli));
    }
  });

  it('refuses a figure too large to print exactly rather than rounding it', () => {
    expect(() => credits(MAX_MILLI_CREDITS + 1)).toThrow(RangeError);
  });
});
