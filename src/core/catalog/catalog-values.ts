/**
 * Readers for the catalog's scalar values: credits, money, counts, byte sizes and "no limit". Each
 * turns what a user may write into the engine's integer unit, or says in one human sentence what was
 * expected. The zod schema wraps them, so the messages here are the ones users see.
 */
import { MAX_MILLI_CREDITS } from '../credits.js';
import { scaleDecimal } from './scale-decimal.js';

/** A value read from the catalog, or the reason it cannot be used. */
export type ValueResult<T> = { ok: true; value: T } | { ok: false; message: string };

/** Milli-credits per credit: the smallest amount an operation can cost is 0.001 credit. */
export const MILLI_PER_CREDIT = 1000;

const ok = <T>(value: T): ValueResult<T> => ({ ok: true, value });
const fail = (message: string): ValueResult<never> => ({ ok: false, message });

/**
 * True for the spellings of "no limit": `null`, `unlimited` (any case) and, when allowed, missing.
 * @example isUnlimited('Unlimited'); // true
 */
export function isUnlimited(value: unknown): boolean {
  return (
    value === null || value === undefined || (typeof value === 'string' && /^unlimited$/i.test(value.trim()))
  );
}

const CREDITS_EXPECTED = 'expected a number of credits with at most 3 decimals';

/**
 * Credits as integer milli-credits: `0.1` -> 100, `'1.005'` -> 1005.
 * @example readCredits(0.1); // { ok: true, value: 100 }
 */
export function readCredits(value: unknown): ValueResult<number> {
  if (typeof value !== 'number' && typeof value !== 'string')
    return fail(`${CREDITS_EXPECTED}, such as 1 or 0.1`);
  const scaled = scaleDecimal(value, 3);
  if (!scaled.ok) {
    if (scaled.reason === 'too_precise') return fail(`${CREDITS_EXPECTED} (0.001 is the smallest amount)`);
    if (scaled.reason === 'too_large') return fail(tooLarge('credits', MAX_MILLI_CREDITS / MILLI_PER_CREDIT));
    return fail(`${CREDITS_EXPECTED}, such as 1 or 0.1`);
  }
  if (scaled.value < 0n) return fail('expected a non-negative number of credits');
  if (scaled.value > BigInt(MAX_MILLI_CREDITS)) {
    return fail(tooLarge('credits', MAX_MILLI_CREDITS / MILLI_PER_CREDIT));
  }
  return ok(Number(scaled.value));
}

/**
 * A credit quota in milli-credits, or null for no limit.
 * @example readCreditLimit('unlimited'); // { ok: true, value: null }
 */
export function readCreditLimit(value: unknown): ValueResult<number | null> {
  if (isUnlimited(value)) return ok(null);
  const credits = readCredits(value);
  return credits.ok ? credits : fail(`${credits.message}, or unlimited`);
}

/**
 * An amount of money in integer minor units (cents for usd). A decimal such as 9.99 is refused with the
 * integer to write instead, because guessing the unit of a price is how customers get billed 100 times too much.
 * @example readMoney(9.99); // { ok: false, message: 'expected an integer amount in minor units (cents): write 999 for 9.99' }
 */
export function readMoney(value: unknown, options: { positive?: boolean } = {}): ValueResult<number> {
  const expected = options.positive ? 'expected a positive amount' : 'expected an amount';
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    return fail(`${expected} in minor units (an integer, e.g. 2900 for 29.00)`);
  }
  if (value < 0 || (options.positive && value === 0)) {
    return fail(
      `${options.positive ? 'expected a positive' : 'expected a non-negative'} amount in minor units`,
    );
  }
  if (!Number.isInteger(value)) {
    const cents = scaleDecimal(value, 2);
    const hint = cents.ok ? `: write ${cents.value} for ${value}` : '';
    return fail(`expected an integer amount in minor units (cents)${hint}`);
  }
  if (value > MAX_MONEY) return fail(tooLarge('minor units', MAX_MONEY));
  return ok(value);
}

/** Most minor units a price or cap may name; keeps overage arithmetic within safe integers. */
export const MAX_MONEY = 1_000_000_000_000;

/**
 * A price that may be absent: null means the interval is not offered.
 * @example readOptionalMoney(null); // { ok: true, value: null }
 */
export function readOptionalMoney(value: unknown): ValueResult<number | null> {
  return value === null || value === undefined ? ok(null) : readMoney(value);
}

/**
 * A whole number from `minimum` to `maximum` (requests, concurrency, items, trial days).
 * @example readInteger(1.5, 1); // { ok: false, message: 'expected a positive integer' }
 */
export function readInteger(
  value: unknown,
  minimum: 0 | 1,
  maximum: number = Number.MAX_SAFE_INTEGER,
): ValueResult<number> {
  const bounded = maximum < Number.MAX_SAFE_INTEGER;
  const expected = bounded
    ? `expected an integer from ${minimum} to ${maximum}`
    : minimum === 1
      ? 'expected a positive integer'
      : 'expected a non-negative integer';
  if (typeof value !== 'number' || !Number.isInteger(value) || value < minimum) return fail(expected);
  if (value > maximum) return fail(bounded ? expected : tooLarge('', maximum));
  return ok(value);
}

/**
 * A count limit (requests per window, concurrent requests, stored items), or null for no limit.
 * @example readCountLimit(0, 1); // { ok: false, message: 'expected a positive integer, or unlimited' }
 */
export function readCountLimit(value: unknown, minimum: 0 | 1): ValueResult<number | null> {
  if (isUnlimited(value)) return ok(null);
  const count = readInteger(value, minimum);
  return count.ok ? count : fail(`${count.message}, or unlimited`);
}

const BYTE_UNITS: Record<string, bigint> = {
  b: 1n,
  kb: 1000n,
  mb: 1000n ** 2n,
  gb: 1000n ** 3n,
  tb: 1000n ** 4n,
  kib: 1024n,
  mib: 1024n ** 2n,
  gib: 1024n ** 3n,
  tib: 1024n ** 4n,
};
const SIZE = /^([+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)\s*([a-z]*)$/i;
const UNITS_HELP = 'B, KB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024)';

/**
 * A size in bytes: an integer, or a number with a unit (`100MB` = 100,000,000; `1GiB` = 1,073,741,824).
 * @example readByteSize('1.5KiB'); // { ok: true, value: 1536 }
 */
export function readByteSize(value: unknown): ValueResult<number> {
  const expected = `expected a size in bytes: an integer, or a number with a unit (${UNITS_HELP})`;
  const match = typeof value === 'string' ? SIZE.exec(value.trim()) : null;
  if (typeof value !== 'number' && !match) return fail(expected);
  const [amount, unitText] = typeof value === 'number' ? [value, 'b'] : [match?.[1] ?? '', match?.[2] || 'b'];
  const multiplier = BYTE_UNITS[unitText.toLowerCase()];
  if (multiplier === undefined) return fail(`unknown size unit '${unitText}': use ${UNITS_HELP}`);
  // Scale by 3 places first so `1.5KiB` stays exact, then divide back out.
  const scaled = scaleDecimal(amount, 3);
  if (!scaled.ok)
    return fail(scaled.reason === 'too_large' ? tooLarge('bytes', Number.MAX_SAFE_INTEGER) : expected);
  if (scaled.value < 0n) return fail('expected a non-negative size');
  const thousandths = scaled.value * multiplier;
  if (thousandths % 1000n !== 0n) return fail(`expected a whole number of bytes, not ${String(value)}`);
  const bytes = thousandths / 1000n;
  if (bytes > BigInt(Number.MAX_SAFE_INTEGER)) return fail(tooLarge('bytes', Number.MAX_SAFE_INTEGER));
  return ok(Number(bytes));
}

/**
 * A storage limit in bytes, or null for no limit.
 * @example readByteLimit('100MB'); // { ok: true, value: 100_000_000 }
 */
export function readByteLimit(value: unknown): ValueResult<number | null> {
  if (isUnlimited(value)) return ok(null);
  const bytes = readByteSize(value);
  return bytes.ok ? bytes : fail(`${bytes.message}, or unlimited`);
}

function tooLarge(unit: string, maximum: number): string {
  return `too large: at most ${Math.floor(maximum).toLocaleString('en-US')}${unit ? ` ${unit}` : ''}`;
}

/**
 * A Stripe id such as `price_1Nx...`, or null when `tollgate plans push` should create the object.
 * `prefix` is checked for prices, whose ids Stripe always makes; product ids may be chosen by the user.
 * @example readStripeId('prod_1', 'price_'); // { ok: false, message: "expected a Stripe id starting with 'price_', or null" }
 */
export function readStripeId(value: unknown, prefix: string | null): ValueResult<string | null> {
  if (value === null || value === undefined) return ok(null);
  if (typeof value !== 'string' || value.trim() === '') return fail('expected a Stripe id, or null');
  if (prefix !== null && !value.startsWith(prefix))
    return fail(`expected a Stripe id starting with '${prefix}', or null`);
  return ok(value);
}

/**
 * Where limit errors send customers: an absolute http(s) URL or a path on this service, or null.
 * @example readUpgradeUrl('/billing'); // { ok: true, value: '/billing' }
 */
export function readUpgradeUrl(value: unknown): ValueResult<string | null> {
  if (value === null || value === undefined) return ok(null);
  const expected = 'expected an http(s) URL or a path starting with /, or null';
  if (typeof value !== 'string') return fail(expected);
  if (value.startsWith('/') && !value.startsWith('//')) return ok(value);
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? ok(value) : fail(expected);
  } catch {
    return fail(expected);
  }
}
