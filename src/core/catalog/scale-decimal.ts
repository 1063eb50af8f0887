/**
 * Exact decimal scaling for catalog values. Credits (0.1 -> 100 milli-credits), money (9.99 -> 999
 * cents) and sizes (1.5GB) are written as decimals but stored as integers; multiplying a float
 * (`0.1 * 1000`, `1.005 * 1000 = 1004.9999999999999`) would be wrong, so the decimal text is read into
 * an integer significand and a power of ten, and scaled with BigInt.
 */

/** The outcome of scaling a decimal; `reason` says why it has no exact integer value. */
export type ScaledDecimal =
  | { ok: true; value: bigint }
  | { ok: false; reason: 'not_a_number' | 'too_precise' | 'too_large' };

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:e([+-]?\d+))?$/i;
/** Results past this many digits are refused before any BigInt power is computed (`1e999999999`). */
const MAX_DIGITS = 40;

/**
 * `value × 10^places` as an exact integer, or why there is none.
 *
 * A number is read through its shortest round-trip string (`String(0.1)` is `'0.1'`, `String(1e-7)` is
 * `'1e-7'`), which is the decimal the user wrote whenever that decimal has at most 15 significant digits.
 *
 * @example
 * scaleDecimal(0.1, 3); // { ok: true, value: 100n }
 * scaleDecimal('1.005', 3); // { ok: true, value: 1005n }
 * scaleDecimal(1e-3, 3); // { ok: true, value: 1n }
 * scaleDecimal('0.0001', 3); // { ok: false, reason: 'too_precise' }
 */
export function scaleDecimal(value: number | string, places: number): ScaledDecimal {
  if (typeof value === 'number' && !Number.isFinite(value)) return { ok: false, reason: 'not_a_number' };
  const text = typeof value === 'number' ? String(value) : value.trim();
  const match = DECIMAL.exec(text);
  if (!match) return { ok: false, reason: 'not_a_number' };
  const [, sign = '', whole = '', fraction = '', exponentText = '0'] = match;
  if (whole.length === 0 && fraction.length === 0) return { ok: false, reason: 'not_a_number' };

  let digits = `${whole}${fraction}`.replace(/^0+/, '');
  if (digits.length === 0) return { ok: true, value: 0n };
  let exponent = Number(exponentText) - fraction.length + places;
  // Trailing zeros move into the exponent, so `1.500` scaled by 2 is exact like `1.5`.
  const trailing = digits.length - digits.replace(/0+$/, '').length;
  digits = digits.slice(0, digits.length - trailing);
  exponent += trailing;

  if (exponent < 0) return { ok: false, reason: 'too_precise' };
  if (digits.length + exponent > MAX_DIGITS) return { ok: false, reason: 'too_large' };
  const magnitude = BigInt(digits) * 10n ** BigInt(exponent);
  return { ok: true, value: sign === '-' ? -magnitude : magnitude };
}
