/**
 * Stripe-style identifiers: a type prefix and random base62 characters (`cus_Q3x...`).
 */
import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export function randomToken(length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const byte of bytes) out += ALPHABET[byte % ALPHABET.length];
  return out;
}

/** `newId('cus')` -> `cus_...` with 14 random characters, as Stripe's test-mode ids look. */
export function newId(prefix: string, length = 14): string {
  return `${prefix}_${randomToken(length)}`;
}
