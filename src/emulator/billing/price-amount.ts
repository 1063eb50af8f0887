/**
 * Amounts from a price, as Stripe computes them: `unit_amount_decimal` (up to 12 decimal places of the
 * minor unit) times the quantity, exactly, rounded half up to a whole minor unit. A price such as
 * $0.10 per 1,000 units has `unit_amount` null and `unit_amount_decimal` "0.01", so reading only
 * `unit_amount` would bill it as 0.
 */

interface PriceAmounts {
  unit_amount: number | null;
  unit_amount_decimal: string | null;
  transform_quantity?: { divide_by: number; round: string } | null;
}

/**
 * Minor units for `quantity` of `price`, exact (BigInt decimal arithmetic), rounded half up. A
 * `transform_quantity` divides the quantity first (rounded up or down), as Stripe bills "per 1,000 units".
 */
export function priceAmount(price: PriceAmounts, rawQuantity: number): number {
  const decimal =
    price.unit_amount_decimal ?? (price.unit_amount === null ? null : String(price.unit_amount));
  const quantity = transformedQuantity(price.transform_quantity ?? null, rawQuantity);
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

function transformedQuantity(
  transform: { divide_by: number; round: string } | null,
  quantity: number,
): number {
  if (transform === null) return quantity;
  const whole = Math.trunc(quantity / transform.divide_by);
  return transform.round === 'up' && whole * transform.divide_by < quantity ? whole + 1 : whole;
}

/**
 * How Stripe's hosted pages show a usage-based price: the amount per a round number of units, the
 * smallest power of 1,000 at which the decimal unit amount is a whole minor unit ("10 per 1,000,000"
 * for 0.00001 cents per unit), or the `transform_quantity` package ("10 per 1,000").
 */
export function usagePriceUnit(price: PriceAmounts): { amount: number; per: number } {
  if (price.transform_quantity)
    return { amount: price.unit_amount ?? 0, per: price.transform_quantity.divide_by };
  const decimal = price.unit_amount_decimal ?? String(price.unit_amount ?? 0);
  const [whole = '0', fraction = ''] = decimal.split('.');
  const digits = fraction.replace(/0+$/, '');
  const exponent = Math.ceil(digits.length / 3) * 3;
  const amount = BigInt(whole + digits.padEnd(exponent, '0'));
  return { amount: Number(amount), per: 10 ** exponent };
}

/** Minor units to a display string ("USD 29.00"); integer arithmetic, no floats. */
export function formatMoney(amount: number, currency: string): string {
  const sign = amount < 0 ? '-' : '';
  const absolute = Math.abs(amount);
  const major = Math.trunc(absolute / 100);
  const minor = String(absolute % 100).padStart(2, '0');
  return `${sign}${currency.toUpperCase()} ${major}.${minor}`;
}

/** A usage-based rate as the hosted pages and invoice lines state it: "USD 0.10 per 1,000 units". */
export function formatUsageRate(price: PriceAmounts & { currency: string }): string {
  const { amount, per } = usagePriceUnit(price);
  return `${formatMoney(amount, price.currency)} per ${per === 1 ? 'unit' : `${per.toLocaleString('en-US')} units`}`;
}
