/**
 * What a customer does to its own billing lands in its audit trail, on SQLite and PostgreSQL: a trial
 * start, cancel and resume through its key or the billing page, an upgrade with the amount charged, an
 * immediate cancellation (which revenue's churn counts), each with its actor and before/after.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { backends } from '../../../test/support/backends.js';
import { hashApiKey } from '../../core/api-keys.js';
import { revenueReport } from '../../core/billing/revenue-report.js';
import {
  openStripeSandbox,
  type StripeSandbox,
  sandboxBilling,
} from '../../stripe/billing/testing/open-billing-fixture.js';
import { openTestServer, type TestServer } from '../testing/open-test-server.js';

let sandbox: StripeSandbox;
beforeAll(async () => {
  sandbox = await openStripeSandbox();
});
afterAll(async () => {
  await sandbox.close();
});

interface Entry {
  actor: string;
  action: string;
  details: Record<string, unknown>;
}

describe.each(backends)("a customer's billing actions in its audit trail (%s)", (_name, open) => {
  let backend: Awaited<ReturnType<typeof open>>;
  let server: TestServer;

  beforeAll(async () => {
    backend = await open();
  });
  afterAll(async () => {
    await backend?.cleanup();
  });
  beforeEach(async () => {
    server = await openTestServer({
      catalog: sandbox.catalog,
      store: backend.store,
      billing: async (tollgate) => (await sandboxBilling(sandbox, tollgate)).billing,
    });
  });
  afterEach(async () => {
    await server.close();
  });

  /** The customer's trail, oldest first. */
  const trail = async (customerId: string): Promise<Entry[]> => {
    const response = await server.call('GET', `/api/v1/admin/customers/${customerId}/events?limit=100`, {
      key: server.adminKey,
    });
    expect(response.statusCode).toBe(200);
    return (response.json().data as Entry[])
      .map(({ actor, action, details }) => ({ actor, action, details }))
      .reverse();
  };
  const keyActor = async (key: string) =>
    `customer_key:${(await server.store.findApiKeyByHash(hashApiKey(key)))?.id}`;

  it('records a trial start with its key, then cancel and resume from the billing page', async () => {
    const customer = await server.newCustomer({ email: 'trial@example.com' });
    const post = (url: string, body: unknown = {}) => server.call('POST', url, { key: customer.key, body });
    expect((await post('/api/v1/billing/subscribe', { tier: 'pro' })).statusCode).toBe(200);

    const link = (await post('/api/v1/billing/dashboard-link')).json();
    const token = new URL(link.url).searchParams.get('token');
    const session = (
      await server.call('POST', '/api/v1/billing/dashboard-session', { body: { token } })
    ).json();
    const asSession = (url: string) =>
      server.call('POST', url, {
        headers: { authorization: `Bearer ${session.session_token}` },
        body: {},
      });
    expect((await asSession('/api/v1/billing/cancel')).statusCode).toBe(200);
    expect((await asSession('/api/v1/billing/resume')).statusCode).toBe(200);
    // Nothing to resume: no entry.
    expect((await asSession('/api/v1/billing/resume')).json().action).toBe('nothing');

    const stored = await server.store.getCustomer(customer.id);
    const actor = await keyActor(customer.key);
    const entries = await trail(customer.id);
    expect(entries.map((entry) => `${entry.actor} ${entry.action}`)).toEqual([
      `${actor} subscription.trial_started`,
      `${actor} billing.status_changed`,
      'billing_session subscription.cancel_scheduled',
      'billing_session subscription.cancel_undone',
    ]);
    expect(entries[0]?.details).toEqual({
      fromPlan: 'free',
      toPlan: 'pro',
      fromStatus: 'active',
      toStatus: 'trialing',
      interval: 'month',
      subscriptionId: stored?.stripeSubscriptionId,
      trialEndAt: stored?.trialEnd,
    });
    expect(entries[1]?.details).toEqual({ from: 'active', to: 'trialing', fromPlan: 'free', toPlan: 'pro' });
    expect(entries[2]?.details).toMatchObject({
      fromPlan: 'pro',
      toPlan: 'pro',
      endsAt: stored?.periodEnd,
    });
  });

  it('records an upgrade with the amount charged and an immediate cancellation, which churn counts', async () => {
    const customer = await server.newCustomer({ email: 'card@example.com' });
    const post = (url: string, body: unknown = {}) => server.call('POST', url, { key: customer.key, body });
    const subscribed = await post('/api/v1/billing/subscribe', {
      tier: 'starter',
      payment_method_id: 'pm_card_visa',
      trial: false,
    });
    expect(subscribed.json().subscription.status).toBe('active');
    server.clock.advance(1000);
    expect((await post('/api/v1/billing/upgrade', { new_tier: 'pro' })).statusCode).toBe(200);
    server.clock.advance(1000);
    expect((await post('/api/v1/billing/upgrade', { new_tier: 'starter' })).statusCode).toBe(200);
    server.clock.advance(1000);
    expect((await post('/api/v1/billing/cancel', { immediate: true })).statusCode).toBe(200);

    const invoices = (await server.call('GET', '/api/v1/billing/invoices', { key: customer.key })).json()
      .invoices as Array<{ id: string; amount_paid: number; billing_reason: string }>;
    const upgradeInvoice = invoices.find((invoice) => invoice.billing_reason === 'subscription_update');
    expect(upgradeInvoice?.amount_paid).toBeGreaterThan(0);

    const actor = await keyActor(customer.key);
    const entries = await trail(customer.id);
    expect(entries.map((entry) => entry.action)).toEqual([
      'subscription.started',
      'subscription.upgraded',
      'subscription.downgraded',
      'subscription.canceled',
      'billing.status_changed',
    ]);
    expect(entries.every((entry) => entry.actor === actor)).toBe(true);
    expect(entries[1]?.details).toMatchObject({
      fromPlan: 'starter',
      toPlan: 'pro',
      amountCharged: upgradeInvoice?.amount_paid,
      currency: 'usd',
      invoiceId: upgradeInvoice?.id,
    });
    // A downgrade credits the next invoice: nothing charged now.
    expect(entries[2]?.details).not.toHaveProperty('amountCharged');
    expect(entries[3]?.details).toMatchObject({
      fromPlan: 'starter',
      toPlan: 'free',
      fromStatus: 'active',
      toStatus: 'canceled',
    });
    const revenue = await revenueReport(server.store, sandbox.catalog, server.clock.now());
    expect(revenue.churn.canceled).toBeGreaterThanOrEqual(1);
  });
});
