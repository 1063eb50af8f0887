/**
 * The inbox's signature check answers as the Stripe SDK's `verifyHeader` does, on the bytes or the
 * text of a body, for good, tampered, stale, rotated and malformed signatures.
 */
import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { verifyStripeSignature } from './stripe-signature.js';

const stripe = new Stripe('sk_test_signature');
const SECRET = 'whsec_signature_test';
const OTHER = 'whsec_other_secret';
const NOW = 1_780_000_000;
const BODY = JSON.stringify({ id: 'evt_1', object: 'event', data: { object: { name: 'Zoë ✓' } } });

const sign = (payload: string, secret: string, timestamp = NOW) =>
  stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp });
const hexOf = (header: string) => header.split('v1=')[1] ?? '';

/** The SDK's answer, with the same clock. */
function sdkVerifies(payload: string, header: string, secrets: string[], tolerance: number): boolean {
  return secrets.some((secret) => {
    try {
      return (stripe.webhooks.signature as NonNullable<typeof stripe.webhooks.signature>).verifyHeader(
        payload,
        header,
        secret,
        tolerance,
        undefined,
        NOW * 1000,
      );
    } catch {
      return false;
    }
  });
}

const cases: Array<[string, string, string, string[], number]> = [
  ['a good signature', BODY, sign(BODY, SECRET), [SECRET], 300],
  ['a tampered body', `${BODY} `, sign(BODY, SECRET), [SECRET], 300],
  ['another secret', BODY, sign(BODY, OTHER), [SECRET], 300],
  ['the second of two secrets (rotation)', BODY, sign(BODY, OTHER), [SECRET, OTHER], 300],
  ['a stale timestamp', BODY, sign(BODY, SECRET, NOW - 301), [SECRET], 300],
  ['a timestamp at the tolerance', BODY, sign(BODY, SECRET, NOW - 300), [SECRET], 300],
  ['a stale timestamp, tolerance off', BODY, sign(BODY, SECRET, NOW - 9_000), [SECRET], 0],
  ['a timestamp ahead', BODY, sign(BODY, SECRET, NOW + 600), [SECRET], 300],
  ['a signed timestamp changed', BODY, sign(BODY, SECRET).replace(`t=${NOW}`, `t=${NOW + 1}`), [SECRET], 300],
  [
    'a match among several v1',
    BODY,
    `t=${NOW},v1=${'0'.repeat(64)},v1=${hexOf(sign(BODY, SECRET))}`,
    [SECRET],
    300,
  ],
  ['uppercase hex', BODY, `t=${NOW},v1=${hexOf(sign(BODY, SECRET)).toUpperCase()}`, [SECRET], 300],
  ['only a v0 signature', BODY, sign(BODY, SECRET).replace('v1=', 'v0='), [SECRET], 300],
  ['no timestamp', BODY, `v1=${hexOf(sign(BODY, SECRET))}`, [SECRET], 300],
  ['a truncated signature', BODY, sign(BODY, SECRET).slice(0, -2), [SECRET], 300],
  ['an empty header', BODY, '', [SECRET], 300],
  ['an empty body', '', sign('', SECRET), [SECRET], 300],
];

describe('the Stripe signature check', () => {
  it.each(cases)('answers as the SDK for %s', (_name, payload, header, secrets, tolerance) => {
    const expected = sdkVerifies(payload, header, secrets, tolerance);
    for (const body of [payload, Buffer.from(payload)]) {
      expect(
        verifyStripeSignature({
          payload: body,
          header,
          secrets,
          toleranceSeconds: tolerance,
          nowSeconds: NOW,
        }),
      ).toBe(expected);
    }
  });

  it('accepts what the SDK signs and refuses the rest', () => {
    const verdicts = cases.map(([, payload, header, secrets, tolerance]) =>
      sdkVerifies(payload, header, secrets, tolerance),
    );
    expect(verdicts).toEqual([
      true,
      false,
      false,
      true,
      false,
      true,
      true,
      true,
      false,
      true,
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
  });
});
