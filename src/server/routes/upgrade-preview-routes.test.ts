/**
 * `POST /api/v1/billing/upgrade/preview` on SQLite and PostgreSQL, over the Stripe emulator through the
 * official SDK: the previewed amount of an upgrade is the amount the upgrade then charges, a downgrade
 * previews its credit on the next invoice, and the preview changes nothing.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { StoreHandle } from '../../store/store-contract.js';
import { openPostgresTestStore, openSqliteTestStore } from '../../store/test-databases.js';
import {
  openStripeSandbox,
  type StripeSandbox,
  sandboxBilling,
} from '../../stripe/billing/testing/open-billing-fixture.js';
import { documentedRoutesOf } from '../create-server.js';
import { errorEnvelopeSchema } from '../openapi.js';
import { openTestServer, type TestServer } from '../testing/open-test-server.js';

const DAY = 86_400;

let sandbox: StripeSandbox;
beforeAll(async () => {
  sandbox = await openStripeSandbox();
});
afterAll(async () => {
  await sandbox.close();
});

describe.each([
  ['SQLite', openSqliteTestStore],
  ['PostgreSQL', openPostgresTestStore],
] as const)('upgrade preview on %s', (_name, openStore) => {
  let handle: StoreHandle;
  let server: TestServer;
  let testClock: string;
  let customer: { id: string; key: string };

  beforeEach(async () => {
    handle = await openStore();
    server = await openTestServer({
      catalog: sandbox.catalog,
      store: handle.store,
      billing: async (tollgate) => {
        const opened = await sandboxBilling(sandbox, tollgate);
        testClock = opened.testClock;
        return opened.billing;
      },
    });
    customer = await server.newCustomer({ email: 'preview@example.com' });
  });

  afterEach(async () => {
    await server.close();
    await handle.cleanup();
  });

  const post = (url: string, body: unknown) => server.call('POST', url, { key: customer.key, body });
  const invoices = async () =>
    (await server.call('GET', '/api/v1/billing/invoices?limit=100', { key: customer.key })).json()
      .invoices as { amount_paid: number; billing_reason: string }[];
  const documented = (body: unknown) => {
    const route = documentedRoutesOf(server.app).find(
      (candidate) => candidate.method === 'POST' && candidate.url === '/api/v1/billing/upgrade/preview',
    );
    expect(route?.response.safeParse(body).error?.issues ?? []).toEqual([]);
  };

  /** Subscribed to starter with a card, then 9 days and a bit into the period (prorations not round). */
  async function subscribedMidPeriod(): Promise<void> {
    const subscribed = await post('/api/v1/billing/subscribe', {
      tier: 'starter',
      payment_method_id: 'pm_card_visa',
      trial: false,
    });
    expect(subscribed.statusCode).toBe(200);
    await advance(9 * DAY + 4_321);
  }

  /** Moves billing time: the Stripe test clock and the service's clock together, as on a test clock. */
  async function advance(seconds: number): Promise<void> {
    const clock = await sandbox.stripe.testHelpers.testClocks.retrieve(testClock);
    await sandbox.stripe.testHelpers.testClocks.advance(testClock, {
      frozen_time: clock.frozen_time + seconds,
    });
    await sandbox.emulator.settle();
    server.clock.advance(seconds * 1000);
  }

  it('previews an upgrade at exactly what the upgrade then charges, and changes nothing itself', async () => {
    await subscribedMidPeriod();
    const before = await invoices();

    const response = await post('/api/v1/billing/upgrade/preview', { new_tier: 'pro' });
    expect(response.statusCode).toBe(200);
    const preview = response.json();
    documented(preview);
    expect(preview).toMatchObject({
      action: 'change_price',
      reason: null,
      direction: 'upgrade',
      proration_date: new Date(Math.floor(server.clock.now() / 1000) * 1000).toISOString(),
      due_now: true,
      currency: 'usd',
    });
    expect(Number.isInteger(preview.amount_due)).toBe(true);
    expect(preview.amount_due).toBeGreaterThan(0);
    expect(preview.lines.length).toBeGreaterThan(0);
    expect(preview.lines.every((line: { proration: boolean }) => line.proration)).toBe(true);
    expect(preview.lines.reduce((sum: number, line: { amount: number }) => sum + line.amount, 0)).toBe(
      preview.amount_due,
    );
    expect(await invoices()).toEqual(before);
    const subscription = await server.call('GET', '/api/v1/billing/subscription', { key: customer.key });
    expect(subscription.json().subscription_tier).toBe('starter');

    const upgraded = await post('/api/v1/billing/upgrade', { new_tier: 'pro' });
    expect(upgraded.statusCode).toBe(200);
    const after = await invoices();
    expect(after).toHaveLength(before.length + 1);
    expect(after[0]).toMatchObject({
      billing_reason: 'subscription_update',
      amount_paid: preview.amount_due,
    });
  });

  it("charges the previewed amount when confirmed minutes later with the preview's proration_date", async () => {
    await subscribedMidPeriod();
    const preview = (await post('/api/v1/billing/upgrade/preview', { new_tier: 'pro' })).json();
    await advance(14 * 60); // 14 minutes of reading: less of the period remains, the charge is still the previewed one
    const later = (await post('/api/v1/billing/upgrade/preview', { new_tier: 'pro' })).json();
    expect(later.amount_due).toBeLessThan(preview.amount_due);

    const upgraded = await post('/api/v1/billing/upgrade', {
      new_tier: 'pro',
      proration_date: preview.proration_date,
    });
    expect(upgraded.statusCode).toBe(200);
    expect((await invoices())[0]).toMatchObject({ amount_paid: preview.amount_due });
  });

  it('refuses a proration_date older than 15 minutes or in the future: the caller may not pick its price', async () => {
    await subscribedMidPeriod();
    const now = server.clock.now();
    for (const at of [now - 16 * 60_000, now + 60_000]) {
      const refused = await post('/api/v1/billing/upgrade', {
        new_tier: 'pro',
        proration_date: new Date(at).toISOString(),
      });
      expect(refused.statusCode).toBe(400);
      expect(refused.json().issues).toEqual([
        {
          path: 'proration_date',
          message: 'expected the proration_date of a preview from the last 15 minutes',
        },
      ]);
    }
    const malformed = await post('/api/v1/billing/upgrade', { new_tier: 'pro', proration_date: 'yesterday' });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().issues[0].path).toBe('proration_date');
    const subscription = await server.call('GET', '/api/v1/billing/subscription', { key: customer.key });
    expect(subscription.json().subscription_tier).toBe('starter');
  });

  it('previews a downgrade as the next invoice with the credit, and a change to the same plan as nothing', async () => {
    await post('/api/v1/billing/subscribe', { tier: 'pro', payment_method_id: 'pm_card_visa', trial: false });
    const down = await post('/api/v1/billing/upgrade/preview', { new_tier: 'starter' });
    expect(down.statusCode).toBe(200);
    expect(down.json()).toMatchObject({ action: 'change_price', direction: 'downgrade', due_now: false });
    expect(down.json().lines.some((line: { amount: number }) => line.amount < 0)).toBe(true);

    const same = await post('/api/v1/billing/upgrade/preview', { new_tier: 'pro' });
    expect(same.statusCode).toBe(200);
    expect(same.json()).toMatchObject({ action: 'nothing', amount_due: 0, lines: [], due_now: false });
    expect(same.json().reason).toContain('already on');
  });

  it('answers like the upgrade: 409 without a subscription, 400 naming the field, 401 without a key', async () => {
    const none = await post('/api/v1/billing/upgrade/preview', { new_tier: 'pro' });
    expect(none.statusCode).toBe(409);
    expect(errorEnvelopeSchema.safeParse(none.json()).success).toBe(true);
    const bad = await post('/api/v1/billing/upgrade/preview', { tier: 'pro' });
    expect(bad.statusCode).toBe(400);
    expect(
      bad
        .json()
        .issues.map((issue: { path: string }) => issue.path)
        .sort(),
    ).toEqual(['new_tier', 'tier'].sort());
    const anonymous = await server.call('POST', '/api/v1/billing/upgrade/preview', {
      body: { new_tier: 'pro' },
    });
    expect(anonymous.statusCode).toBe(401);
  });
});
