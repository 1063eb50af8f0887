/**
 * Identifiers: a readable prefix, then a time-ordered, collision-resistant body. Ids sort by creation
 * time (useful for pagination), and generating one costs no system call on the hot path: a random
 * per-process part is drawn once, then a counter follows it.
 */
import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';
const processPart = Array.from(randomBytes(6), (byte) => ALPHABET[byte % 36]).join('');
let counter = 0;

/** A new id such as `tgcus_0mbx1k2a9f3k1q2z000001`: prefix, time (base 36), process, sequence. */
export function newId(prefix: string, now: number = Date.now()): string {
  counter = (counter + 1) % 1_679_616; // 36^4
  return `${prefix}_${now.toString(36).padStart(9, '0')}${processPart}${counter.toString(36).padStart(4, '0')}`;
}

/** A secret with `bytes` of randomness, base62, for API keys and one-time links. */
export function randomToken(bytes: number): string {
  const base62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  let out = '';
  // Rejection sampling keeps every character uniform (256 is not a multiple of 62).
  while (out.length < Math.ceil(bytes * 1.35)) {
    for (const byte of randomBytes(bytes)) {
      if (byte < 248) out += base62[byte % 62];
    }
  }
  return out.slice(0, Math.ceil(bytes * 1.35));
}
