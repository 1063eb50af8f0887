/**
 * The one place a Stripe client is built. `apiBase` points the official SDK at another Stripe origin
 * (a standalone emulator, `tollgate emulator`); without it the SDK talks to api.stripe.com.
 * The SDK retries 429/5xx/network errors itself with backoff; mutating calls carry our own
 * deterministic idempotency keys, so its retries can never double an operation.
 */
import Stripe from 'stripe';

export interface StripeClientOptions {
  secretKey: string;
  /** e.g. `http://127.0.0.1:12111`; default: Stripe's own API. */
  apiBase?: string | null;
  maxNetworkRetries?: number;
  timeoutMs?: number;
}

export function createStripeClient(options: StripeClientOptions): Stripe {
  const config: Stripe.StripeConfig = {
    maxNetworkRetries: options.maxNetworkRetries ?? 3,
    timeout: options.timeoutMs ?? 20_000,
    appInfo: { name: 'Tollgate' },
  };
  if (options.apiBase) {
    const url = new URL(options.apiBase);
    config.host = url.hostname;
    config.protocol = url.protocol === 'https:' ? 'https' : 'http';
    config.port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  }
  return new Stripe(options.secretKey, config);
}
