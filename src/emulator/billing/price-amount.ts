/**
 * Amounts from a price, as Stripe computes them: `unit_amount_decimal` (up to 12 decimal places of the
 * minor unit) times the quantity, exactly, rounded half up to a whole minor unit. A price such as
 * $0.10 per 1,000 units has `unit_amount` null and `unit_amount_decimal` "0.01", so reading only
 * `unit_amount` would bill it as 0.
 */

interface PriceAmounts {
  unit_amount: number | null;
  unit_amount_decimal: string | null;
}

/** Minor units for `quantity` of `price`, exact (BigInt decimal arithmetic), rounded half up. */
export function priceAmount(price: PriceAmounts, quantity: number): number {
  const decimal =
    price.unit_amount_decimal ?? (price.unit_amount === null ? null : String(price.unit_amount));
  if (decimal === null || quantity === 0) return 0;
  const [whole = '0', fraction = ''] = decimal.split('.');
  const scale = 10n ** BigInt(fraction.length);
  const unit = BigInt(whole) * scale + BigInt(fraction || '0');
  const total = unit * BigInt(quantity);
  return Number((total * 2n + scale) / (2n * scale));
}

/** The integer `unit_amount` Stripe reports for a decimal price: null when it has a fractional part. */
export function wholeUnitAmount(decimal: string): number | null {
  const [whole = '0', fraction = ''] = decimal.split('.');
  return /^0*$/.test(fraction) ? Number(whole) : null;
}
