/**
 * Credits are counted in integer milli-credits (1 credit = 1,000), so ten 0.1-credit searches are
 * exactly one credit and no float ever touches a balance.
 */

export const MILLI_PER_CREDIT = 1000;

/**
 * The largest credit figure (just under 10^12 credits). Fifteen significant digits are the most a
 * double carries for every decimal, so up to here a figure sent as a JSON number (`4250.5`) is exact.
 */
export const MAX_MILLI_CREDITS = 999_999_999_999_999;

/** Milli-credits as a decimal credit string: 100 -> "0.1", 1500 -> "1.5", 2000 -> "2". */
export function formatCredits(milli: number): string {
  if (!Number.isSafeInteger(milli))
    throw new RangeError(`credits must be an integer of milli-credits: ${milli}`);
  const sign = milli < 0 ? '-' : '';
  const abs = Math.abs(milli);
  const whole = Math.floor(abs / MILLI_PER_CREDIT);
  const fraction = abs % MILLI_PER_CREDIT;
  if (fraction === 0) return `${sign}${whole}`;
  return `${sign}${whole}.${String(fraction).padStart(3, '0').replace(/0+$/, '')}`;
}

/** Cost of `quantity` units at `unitCost` milli-credits each; throws past `MAX_MILLI_CREDITS`. */
export function multiplyCost(unitCost: number, quantity: number): number {
  const cost = unitCost * quantity;
  if (!Number.isSafeInteger(cost) || cost > MAX_MILLI_CREDITS) throw new RangeError('the cost is too large');
  return cost;
}
