/**
 * The composition root's Stripe wiring: without a key (outside production) the emulator runs in-process
 * and start-up says so; the demo gets a test clock and the catalog's prices, so the billing service can
 * sell a plan at once; with a key, the real client is built and no emulator starts.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from './load-config.js';
import { openRuntime } from './open-runtime.js';

describe('openRuntime (Stripe)', () => {
  it('starts the emulator in-process without a key, says so, and sells the catalog on a demo test clock', async () => {
    const notices: string[] = [];
    const runtime = await openRuntime(loadConfig({ DATABASE_URL: 'sqlite::memory:' }), {
      demo: true,
      notice: (line) => notices.push(line),
    });
    try {
      expect(runtime.stripe.mode).toBe('emulator');
      expect(notices.join('\n')).toMatch(
        /STRIPE_SECRET_KEY is not set, so the built-in Stripe emulator is running/,
      );
      expect(runtime.stripe.testClock).toMatch(/^clock_/);
      expect(runtime.stripe.webhookSecret).toMatch(/^whsec_/);
      expect([...(await runtime.stripe.prices()).values()]).toEqual(
        expect.arrayContaining([
          { planId: 'pro', interval: 'month' },
          { planId: 'enterprise', interval: 'year' },
        ]),
      );
      const customer = await runtime.tollgate.createCustomer({ email: 'demo@example.com' });
      const outcome = await runtime.stripe.billing.subscribe(customer.id, { planId: 'pro' });
      expect(outcome.customer).toMatchObject({ plan: 'pro', status: 'trialing' });
      const stripeCustomer = await runtime.stripe.client.customers.retrieve(
        outcome.customer.stripeCustomerId ?? '',
      );
      expect(stripeCustomer).toMatchObject({ test_clock: runtime.stripe.testClock });
      // Tollgate's time is the test clock's.
      expect(runtime.tollgate.clock.now()).toBe(runtime.stripe.clockFollower?.now());
    } finally {
      await runtime.close();
    }
  });

  it('uses the configured Stripe with a key, starting no emulator', async () => {
    const runtime = await openRuntime(
      loadConfig({
        DATABASE_URL: 'sqlite::memory:',
        STRIPE_SECRET_KEY: 'sk_test_configured',
        STRIPE_API_BASE: 'http://127.0.0.1:9',
      }),
      { notice: () => {} },
    );
    try {
      expect(runtime.stripe.mode).toBe('stripe');
      expect(runtime.stripe.emulator).toBeNull();
      expect(runtime.stripe.webhookSecret).toBeNull();
    } finally {
      await runtime.close();
    }
  });
});
