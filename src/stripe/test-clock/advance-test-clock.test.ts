/**
 * Advancing a test clock to the next renewal, from fixed start dates whose month lengths differ (a
 * month end, the day before a leap day, the end of a 30-day month, and December 2, where a month of
 * 31 days lands exactly on the renewal instant): the renewal invoice is charged, not left in draft, and
 * the customer's period moves, whatever day the tests run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteTestStore } from '../../store/test-databases.js';
import { openWebhookFixture, type WebhookFixture } from '../webhooks/testing/webhook-fixture.js';
import { nextRenewal, RENEWAL_SETTLE_SECONDS } from './advance-test-clock.js';

const starts = [
  ['Jan 31', Date.UTC(2027, 0, 31, 18)],
  ['Feb 28 of a leap year', Date.UTC(2028, 1, 28, 9)],
  ['Apr 30 (a 30-day month)', Date.UTC(2027, 3, 30, 23, 30)],
  ['Dec 2', Date.UTC(2026, 11, 2, 7, 30)],
] as const;

describe.each(starts)('advance to the next renewal from %s', (_name, start) => {
  let backend: Awaited<ReturnType<typeof openSqliteTestStore>>;
  let fx: WebhookFixture;

  beforeAll(async () => {
    backend = await openSqliteTestStore();
    fx = await openWebhookFixture(backend.store, { start });
  }, 30_000);

  afterAll(async () => {
    await fx?.close();
    await backend?.cleanup();
  });

  it('refuses with 409 while no subscription on the clock renews', async () => {
    await expect(fx.advance({ to: 'renewal' })).rejects.toMatchObject({ code: 'conflict' });
  });

  it('charges the renewal invoice and moves the period, twice in a row', async () => {
    const { customer, stripeCustomerId } = await fx.newCustomer('pm_card_visa');
    const subscription = await fx.stripe.subscriptions.create({
      customer: stripeCustomerId,
      items: [{ price: fx.priceIds.pro?.month ?? '' }],
    });
    await fx.settle();
    const firstEnd = subscription.items.data[0]?.current_period_end ?? 0;
    expect(await nextRenewal(fx.stripe, fx.testClock, Math.floor(start / 1000))).toBe(firstEnd);

    for (let renewal = 1; renewal <= 2; renewal++) {
      const before = await fx.customer(customer.id);
      const result = await fx.advance({ to: 'renewal' });
      expect(result.pending).toEqual([]);
      expect(result.frozenTime).toBe(Math.floor((before.periodEnd ?? 0) / 1000) + RENEWAL_SETTLE_SECONDS);
      const after = await fx.customer(customer.id);
      expect(after).toMatchObject({ plan: 'pro', status: 'active' });
      expect(after.periodStart).toBe(before.periodEnd);

      const invoices = await fx.stripe.invoices.list({ customer: stripeCustomerId, limit: 10 });
      const cycles = invoices.data.filter((invoice) => invoice.billing_reason === 'subscription_cycle');
      expect(cycles.map((invoice) => invoice.status)).toEqual(Array(renewal).fill('paid'));
    }
  }, 60_000);
});
