/**
 * The Stripe a `tollgate` command talks to, and the test clock billing time follows: STRIPE_SECRET_KEY
 * (with STRIPE_API_BASE and STRIPE_TEST_CLOCK) when set; else the Stripe emulator of a demo
 * (`npm start`) running on the same database, found through the state it keeps beside it.
 */
import type Stripe from 'stripe';
import { runningDemoStripe } from '../config/demo-state.js';
import type { TollgateConfig } from '../config/load-config.js';
import { TollgateError } from '../core/errors.js';
import { createStripeClient } from '../stripe/stripe-client.js';

export interface CliStripe {
  stripe: Stripe;
  /** The test clock billing time follows, if any. */
  testClock: string | null;
}

export async function findCliStripe(config: TollgateConfig): Promise<CliStripe | null> {
  if (config.stripeSecretKey)
    return {
      stripe: createStripeClient({
        secretKey: config.stripeSecretKey,
        apiBase: config.STRIPE_API_BASE ?? null,
      }),
      testClock: config.STRIPE_TEST_CLOCK ?? null,
    };
  const demo = await runningDemoStripe(config.DATABASE_URL);
  if (!demo) return null;
  // The emulator takes any test key.
  return {
    stripe: createStripeClient({ secretKey: 'sk_test_tollgate_cli', apiBase: demo.apiBase }),
    testClock: demo.testClock,
  };
}

export async function requireCliStripe(config: TollgateConfig): Promise<CliStripe> {
  const found = await findCliStripe(config);
  if (found) return found;
  throw new TollgateError(
    'invalid_request',
    'STRIPE_SECRET_KEY is not set, and no running demo (npm start) uses this DATABASE_URL (point STRIPE_API_BASE at `tollgate emulator` for a local Stripe).',
  );
}
