import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatCredits, MILLI_PER_CREDIT, multiplyCost } from './credits.js';

describe('credits', () => {
  it('adds ten 0.1-credit searches up to exactly one credit', () => {
    let used = 0;
    for (let i = 0; i < 10; i++) used += multiplyCost(100, 1);
    expect(used).toBe(MILLI_PER_CREDIT);
    expect(formatCredits(used)).toBe('1');
  });

  it('formats milli-credits as the shortest exact decimal', () => {
    expect(formatCredits(0)).toBe('0');
    expect(formatCredits(100)).toBe('0.1');
    expect(formatCredits(1005)).toBe('1.005');
    expect(formatCredits(-2500)).toBe('-2.5');
  });

  it('refuses costs past the safe integer range instead of losing precision', () => {
    expect(() => multiplyCost(1000, Number.MAX_SAFE_INTEGER)).toThrow(RangeError);
    expect(() => formatCredits(0.5)).toThrow(RangeError);
  });

  it('formats any amount so that parsing the decimal gives the same milli-credits back (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 53n) + 1n, max: 2n ** 53n - 1n }), (milli) => {
        const text = formatCredits(Number(milli));
        const [whole = '0', fraction = ''] = text.replace('-', '').split('.');
        const parsed =
          (BigInt(whole) * 1000n + BigInt(fraction.padEnd(3, '0') || '0')) *
          (text.startsWith('-') ? -1n : 1n);
        expect(parsed).toBe(milli);
      }),
      { numRuns: 3000 },
    );
  });

  it('sums of integer costs are exact in any order (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 1_000_000 }), fc.integer({ min: 1, max: 1000 }))),
        (items) => {
          const costs = items.map(([unit, quantity]) => multiplyCost(unit, quantity));
          const forward = costs.reduce((a, b) => a + b, 0);
          const backward = [...costs].reverse().reduce((a, b) => a + b, 0);
          expect(forward).toBe(backward);
          expect(BigInt(forward)).toBe(items.reduce((sum, [u, q]) => sum + BigInt(u) * BigInt(q), 0n));
        },
      ),
    );
  });
});
