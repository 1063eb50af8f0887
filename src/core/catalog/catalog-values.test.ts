import { describe, expect, it } from 'vitest';
import {
  readByteLimit,
  readByteSize,
  readCountLimit,
  readCreditLimit,
  readMoney,
  readStripeId,
  readUpgradeUrl,
} from './catalog-values.js';

describe('readByteSize', () => {
  it.each([
    [1024, 1024],
    ['0', 0],
    ['512B', 512],
    ['100MB', 100_000_000],
    ['100 MB', 100_000_000],
    ['1GB', 1_000_000_000],
    ['10gb', 10_000_000_000],
    ['2TB', 2_000_000_000_000],
    ['1KiB', 1024],
    ['1.5KiB', 1536],
    ['1MiB', 1_048_576],
    ['1GiB', 1_073_741_824],
    ['1TiB', 1_099_511_627_776],
    ['1.5GB', 1_500_000_000],
  ])('reads %s as %i bytes', (input, bytes) => {
    expect(readByteSize(input)).toEqual({ ok: true, value: bytes });
  });

  it.each([
    ['10XB', "unknown size unit 'XB'"],
    ['10 EB', "unknown size unit 'EB'"],
    ['1.5B', 'whole number of bytes'],
    ['-1MB', 'non-negative'],
    [1.5, 'whole number of bytes'],
    ['lots', 'expected a size in bytes'],
    [true, 'expected a size in bytes'],
    ['99999999TB', 'too large'],
  ])('refuses %s', (input, message) => {
    expect(readByteSize(input)).toMatchObject({ ok: false, message: expect.stringContaining(message) });
  });

  it('reads null, unlimited and Unlimited as no limit', () => {
    for (const input of [null, 'unlimited', 'Unlimited'])
      expect(readByteLimit(input)).toEqual({ ok: true, value: null });
  });
});

describe('limits', () => {
  it('reads credit limits in milli-credits, or null for no limit', () => {
    expect(readCreditLimit(100)).toEqual({ ok: true, value: 100_000 });
    expect(readCreditLimit(0)).toEqual({ ok: true, value: 0 });
    expect(readCreditLimit('unlimited')).toEqual({ ok: true, value: null });
    expect(readCreditLimit(null)).toEqual({ ok: true, value: null });
    // The largest figure a JSON number carries exactly to 3 decimals; one more is refused.
    expect(readCreditLimit('999999999999.999')).toEqual({ ok: true, value: 999_999_999_999_999 });
    expect(readCreditLimit(1e12)).toMatchObject({
      ok: false,
      message: expect.stringContaining('too large: at most 999,999,999,999 credits'),
    });
    expect(readCreditLimit('lots')).toMatchObject({
      ok: false,
      message: expect.stringContaining('or unlimited'),
    });
  });

  it('requires positive request counts and non-negative item counts', () => {
    expect(readCountLimit(0, 1)).toMatchObject({
      ok: false,
      message: 'expected a positive integer, or unlimited',
    });
    expect(readCountLimit(0, 0)).toEqual({ ok: true, value: 0 });
    expect(readCountLimit(-1, 0)).toMatchObject({
      ok: false,
      message: 'expected a non-negative integer, or unlimited',
    });
    expect(readCountLimit(1e20, 1)).toMatchObject({
      ok: false,
      message: expect.stringContaining('too large'),
    });
  });
});

describe('readMoney', () => {
  it('accepts integer minor units', () => {
    expect(readMoney(2900)).toEqual({ ok: true, value: 2900 });
    expect(readMoney(0)).toEqual({ ok: true, value: 0 });
  });

  it.each([
    [9.99, 'expected an integer amount in minor units (cents): write 999 for 9.99'],
    [0.1, 'write 10 for 0.1'],
    [-900, 'expected a non-negative amount in minor units'],
    ['$9', 'expected an amount in minor units'],
    [1e13, 'too large'],
  ])('refuses %s', (input, message) => {
    expect(readMoney(input)).toMatchObject({ ok: false, message: expect.stringContaining(message) });
  });

  it('refuses zero where a positive amount is needed', () => {
    expect(readMoney(0, { positive: true })).toMatchObject({
      ok: false,
      message: 'expected a positive amount in minor units',
    });
  });
});

describe('ids and URLs', () => {
  it('checks the prefix of Stripe price ids but not of product ids', () => {
    expect(readStripeId('price_123', 'price_')).toEqual({ ok: true, value: 'price_123' });
    expect(readStripeId('prod_x', 'price_')).toMatchObject({ ok: false });
    expect(readStripeId('my-product', null)).toEqual({ ok: true, value: 'my-product' });
    expect(readStripeId(null, 'price_')).toEqual({ ok: true, value: null });
  });

  it('accepts http(s) URLs and local paths as upgrade URLs', () => {
    expect(readUpgradeUrl('https://example.com/pricing')).toMatchObject({ ok: true });
    expect(readUpgradeUrl('/billing')).toMatchObject({ ok: true });
    expect(readUpgradeUrl('//evil.example')).toMatchObject({ ok: false });
    expect(readUpgradeUrl('javascript:alert(1)')).toMatchObject({ ok: false });
  });
});
