/**
 * The admin billing routes over a real webhook stack (emulator, test clock, both databases): the event
 * log and replay, invoices, revenue in integers, and advancing the test clock through the API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../../../test/support/backends.js';
import { openWebhookFixture, type WebhookFixture } from '../../stripe/webhooks/testing/webhook-fixture.js';

describe.each(backends)('admin billing routes (%s)', (_name, open) => {
  let backend: Awaited<ReturnType<typeof open>>;
  let fx: WebhookFixture;
  const get = (url: string) => fx.app.inject({ method: 'GET', url, headers: { 'x-api-key': fx.adminKey } });
  const post = (url: string, body?: unknown) =>
    fx.app.inject({
      method: 'POST',
      url,
      headers: { 'x-api-key': fx.adminKey, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { payload: JSON.stringify(body) } : {}),
    });

  beforeAll(async () => {
    backend = await open();
    fx = await openWebhookFixture(backend.store);
    const { stripeCustomerId } = await fx.newCustomer('pm_card_visa');
    await fx.stripe.subscriptions.create({
      customer: stripeCustomerId,
      items: [{ price: fx.priceIds.pro?.year ?? '' }],
    });
    await fx.settle();
  }, 30_000);

  afterAll(async () => {
    await fx?.close();
    await backend?.cleanup();
  });

  it('lists webhook events with their status and replays one', async () => {
    const page = await get('/api/v1/admin/events?limit=5&type=customer.subscription.created');
    expect(page.statusCode).toBe(200);
    const event = page.json().data[0];
    expect(event).toMatchObject({ type: 'customer.subscription.created', status: 'processed', attempts: 1 });
    const replayed = await post(`/api/v1/admin/events/${event.id}/replay`);
    expect(replayed.json()).toMatchObject({ id: event.id, status: 'processed', attempts: 2 });
    expect((await post('/api/v1/admin/events/evt_missing/replay')).statusCode).toBe(404);
  });

  it('lists invoices and reports revenue in integers', async () => {
    const invoices = await get('/api/v1/admin/invoices?status=paid');
    expect(invoices.json().data[0]).toMatchObject({ status: 'paid', amount_paid: 29000, currency: 'usd' });
    const revenue = (await get('/api/v1/admin/revenue')).json();
    // A yearly $290 subscription is 29000 / 12 = 2416.67 a month, rounded down.
    expect(revenue).toMatchObject({
      mrr: 2416,
      arpu: 2416,
      paying_customers: 1,
      subscriptions_by_tier: { pro: 1 },
    });
    expect(revenue.churn.rate_bps).toBe(0);
    // The answer is also today's revenue snapshot.
    const today = new Date(fx.clock.now()).toISOString().slice(0, 10);
    expect(await backend.store.listRevenueSnapshots(today, today)).toEqual([
      expect.objectContaining({ mrr: 2416, payingCustomers: 1, subscriptions: 1 }),
    ]);
  });

  it("stores today's revenue snapshot and answers MRR per day and money collected per month", async () => {
    const today = new Date(fx.clock.now()).toISOString().slice(0, 10);
    const month = today.slice(0, 7);
    // An older snapshot, as the hourly job would have left it.
    await backend.store.upsertRevenueSnapshot({
      day: new Date(fx.clock.now() - 2 * 86_400_000).toISOString().slice(0, 10),
      mrr: 1000,
      payingCustomers: 1,
      subscriptions: 1,
      byTier: { pro: 1 },
      updatedAt: fx.clock.now() - 2 * 86_400_000,
    });
    const history = await get('/api/v1/admin/revenue/history?days=30');
    expect(history.statusCode).toBe(200);
    const body = history.json();
    expect(body.currency).toBe('usd');
    expect(body.mrr.at(-1)).toEqual({ date: today, mrr: 2416, paying_customers: 1, subscriptions: 1 });
    expect(body.mrr).toHaveLength(2);
    expect(body.mrr[0]).toMatchObject({ mrr: 1000 });
    expect(body.collected.at(-1)).toEqual({ month, amount: 29000 });
    for (const point of body.collected) expect(Number.isInteger(point.amount)).toBe(true);
    // The snapshot was upserted, not added: one row for today.
    expect(await backend.store.listRevenueSnapshots(today, today)).toEqual([
      expect.objectContaining({ day: today, mrr: 2416, byTier: { pro: 1 } }),
    ]);
    expect((await get('/api/v1/admin/revenue/history')).json().mrr.length).toBeGreaterThanOrEqual(2);
    for (const days of ['0', '367', 'x']) {
      expect((await get(`/api/v1/admin/revenue/history?days=${days}`)).statusCode).toBe(400);
    }
  });

  it('advances the test clock and answers once its webhooks are applied', async () => {
    const before = fx.clock.now();
    const answer = await post('/api/v1/admin/clock/advance', { seconds: 3 * 86_400 });
    expect(answer.statusCode).toBe(200);
    expect(answer.json()).toMatchObject({ clock_id: fx.testClock, pending: [] });
    expect(fx.clock.now()).toBe(before + 3 * 86_400_000);
  });

  it('advances to the yearly renewal, past the hours Stripe takes to charge it, and refuses a mixed body', async () => {
    const [subscription] = (await fx.stripe.subscriptions.list({ test_clock: fx.testClock })).data;
    const periodEnd = subscription?.items.data[0]?.current_period_end ?? 0;
    const answer = await post('/api/v1/admin/clock/advance', { to: 'renewal' });
    expect(answer.statusCode).toBe(200);
    expect(answer.json().frozen_time).toBe(new Date((periodEnd + 2 * 3600) * 1000).toISOString());
    const invoices = await get('/api/v1/admin/invoices?status=paid');
    expect(invoices.json().data.map((invoice: { amount_paid: number }) => invoice.amount_paid)).toEqual([
      29000, 29000,
    ]);
    expect((await post('/api/v1/admin/clock/advance', { seconds: 60, to: 'renewal' })).statusCode).toBe(400);
    expect((await post('/api/v1/admin/clock/advance', { to: 'tomorrow' })).statusCode).toBe(400);
  });
});
