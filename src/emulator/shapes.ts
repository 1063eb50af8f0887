/**
 * Small shared pieces of Stripe objects (empty addresses, billing details) and copy helpers.
 */
import type Stripe from 'stripe';

export function emptyAddress(): Stripe.Address {
  return { city: null, country: null, line1: null, line2: null, postal_code: null, state: null };
}

export function addressFrom(input: Record<string, unknown> | undefined): Stripe.Address | null {
  if (input === undefined) return null;
  const field = (key: string): string | null =>
    typeof input[key] === 'string' ? (input[key] as string) : null;
  return {
    city: field('city'),
    country: field('country'),
    line1: field('line1'),
    line2: field('line2'),
    postal_code: field('postal_code'),
    state: field('state'),
  };
}

export function shippingFrom(input: Record<string, unknown> | undefined): {
  address: Stripe.Address;
  name: string;
  phone: string | null;
  carrier: string | null;
  tracking_number: string | null;
} | null {
  if (input === undefined || typeof input !== 'object') return null;
  const address = addressFrom((input.address ?? {}) as Record<string, unknown>) ?? emptyAddress();
  return {
    address,
    name: typeof input.name === 'string' ? input.name : '',
    phone: typeof input.phone === 'string' ? input.phone : null,
    carrier: typeof input.carrier === 'string' ? input.carrier : null,
    tracking_number: typeof input.tracking_number === 'string' ? input.tracking_number : null,
  };
}

/** A snapshot of the top-level fields, to diff later for `previous_attributes`. */
export function snapshotOf(object: object): Record<string, unknown> {
  return structuredClone(object) as Record<string, unknown>;
}

/** Integer proration: `amount * part / whole`, rounded half away from zero, in minor units. */
export function prorate(amount: number, part: number, whole: number): number {
  if (whole <= 0) return 0;
  const sign = amount < 0 ? -1 : 1;
  const numerator = BigInt(Math.abs(amount)) * BigInt(Math.max(0, part)) * 2n + BigInt(whole);
  return sign * Number(numerator / (2n * BigInt(whole)));
}

export const DAY = 86_400;

/** Adds calendar months the way Stripe bills: the 31st becomes the last day of shorter months. */
export function addInterval(from: number, interval: string, count: number): number {
  const date = new Date(from * 1000);
  switch (interval) {
    case 'day':
      return from + count * DAY;
    case 'week':
      return from + count * 7 * DAY;
    case 'year':
      return addMonths(date, 12 * count);
    default:
      return addMonths(date, count);
  }
}

function addMonths(date: Date, months: number): number {
  const day = date.getUTCDate();
  const target = new Date(date.getTime());
  target.setUTCDate(1);
  target.setUTCMonth(target.getUTCMonth() + months);
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(day, lastDay));
  return Math.floor(target.getTime() / 1000);
}
