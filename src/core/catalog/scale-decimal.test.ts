import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readCredits } from './catalog-values.js';
import { scaleDecimal } from './scale-decimal.js';

describe('scaleDecimal', () => {
  it.each([
    [0.1, 3, 100n],
    ['1.005', 3, 1005n],
    [1.005, 3, 1005n],
    [1e-3, 3, 1n],
    ['1E-3', 3, 1n],
    ['2.5e2', 0, 250n],
    ['1.500', 2, 150n],
    ['.5', 1, 5n],
    ['-9.99', 2, -999n],
    [0, 3, 0n],
    ['0.000', 3, 0n],
    [1e21, 0, 10n ** 21n],
  ])('scales %s by 10^%i exactly to %s', (value, places, expected) => {
    expect(scaleDecimal(value, places)).toEqual({ ok: true, value: expected });
  });

  it.each([
    ['0.0001', 3, 'too_precise'],
    [0.0001, 3, 'too_precise'],
    [1e-7, 3, 'too_precise'],
    ['abc', 3, 'not_a_number'],
    ['', 3, 'not_a_number'],
    ['.', 3, 'not_a_number'],
    ['1,5', 3, 'not_a_number'],
    [Number.NaN, 3, 'not_a_number'],
    [Number.POSITIVE_INFINITY, 3, 'not_a_number'],
    ['1e999999999', 0, 'too_large'],
  ])('refuses %s at %i places as %s', (value, places, reason) => {
    expect(scaleDecimal(value, places)).toEqual({ ok: false, reason });
  });
});

/** A decimal string of credits with at most 3 decimals, and its milli-credits by BigInt arithmetic. */
const creditText = fc
  .record({
    whole: fc.bigInt({ min: 0n, max: 10n ** 12n - 1n }),
    fraction: fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 0, maxLength: 3 }),
  })
  .map(({ whole, fraction }) => ({
    text: fraction === '' ? `${whole}` : `${whole}.${fraction}`,
    milli: whole * 1000n + BigInt(fraction.padEnd(3, '0')),
  }));

describe('credits to milli-credits', () => {
  it('converts every decimal string with at most 3 decimals exactly', () => {
    fc.assert(
      fc.property(creditText, ({ text, milli }) => {
        expect(scaleDecimal(text, 3)).toEqual({ ok: true, value: milli });
        expect(readCredits(text)).toEqual({ ok: true, value: Number(milli) });
      }),
      { numRuns: 2000 },
    );
  });

  it('converts the same decimals exactly when YAML has already made them numbers', () => {
    // At most 15 significant digits, so the float's shortest form is the decimal that was written.
    fc.assert(
      fc.property(creditText, ({ text, milli }) => {
        expect(readCredits(Number(text))).toEqual({ ok: true, value: Number(milli) });
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses every amount with a fourth decimal', () => {
    fc.assert(
      fc.property(creditText, fc.integer({ min: 1, max: 9 }), ({ text }, digit) => {
        const precise = `${text.includes('.') ? text.padEnd(text.indexOf('.') + 4, '0') : `${text}.000`}${digit}`;
        expect(readCredits(precise)).toMatchObject({
          ok: false,
          message: expect.stringContaining('3 decimals'),
        });
      }),
    );
  });
});
