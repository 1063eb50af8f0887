/**
 * Stripe's webhook signature check (`Stripe-Signature: t=<seconds>,v1=<hex>[,v1=...]`), with the same
 * answers as the SDK's `stripe.webhooks.signature.verifyHeader`, made for the inbox's hot path: the
 * HMAC runs over the received bytes as they are (the SDK builds the string `${t}.${payload}` and
 * encodes it back to UTF-8), and nothing is thrown for a secret that does not match (the SDK builds
 * and throws an error for each, as during a rotation).
 *
 * As the SDK: the content signed is `<t as an integer>.<body>`; a `v1` matches when it is the
 * lowercase hex HMAC-SHA256 of it, compared in constant time; a timestamp older than
 * `toleranceSeconds` fails (0 turns the check off), a newer one does not.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface SignatureCheck {
  /** The request body as received. */
  payload: Buffer | string;
  header: string | undefined;
  /** Accepted secrets (`whsec_...`): several while one is being rotated. */
  secrets: readonly string[];
  toleranceSeconds: number;
  nowSeconds: number;
}

/** True when some `v1` of the header signs the payload with one of the secrets, in time. */
export function verifyStripeSignature(check: SignatureCheck): boolean {
  const { payload, header } = check;
  if (!header || payload.length === 0) return false;
  let timestamp = -1;
  const signatures: Buffer[] = [];
  for (const item of header.split(',')) {
    const [key, value = ''] = item.split('=');
    if (key === 't') timestamp = Number.parseInt(value, 10);
    else if (key === 'v1') signatures.push(Buffer.from(value));
  }
  if (!Number.isSafeInteger(timestamp) || timestamp < 0 || signatures.length === 0) return false;
  if (check.toleranceSeconds > 0 && check.nowSeconds - timestamp > check.toleranceSeconds) return false;
  const signed = `${timestamp}.`;
  for (const secret of check.secrets) {
    if (secret.trim() === '') continue;
    const hmac = createHmac('sha256', secret).update(signed);
    const expected = Buffer.from(
      (typeof payload === 'string' ? hmac.update(payload, 'utf8') : hmac.update(payload)).digest('hex'),
    );
    for (const signature of signatures) {
      if (signature.length === expected.length && timingSafeEqual(signature, expected)) return true;
    }
  }
  return false;
}
