/**
 * The billing routes through Fastify inject, over the Stripe emulator (official SDK) and a real SQLite
 * store: each route's success answer against its schema, and each documented error (400, 401, 403,
 * 402, 409, 503) in the envelope. Suspended accounts keep access to billing so they can pay.
 */
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DAY_MS } from '../../core/periods.js';
import {
  openStripeSandbox,
  type StripeSandbox,
  sandboxBilling,
} from '../../stripe/billing/testing/open-billing-fixture.js';
import { documentedRoutesOf } from '../create-server.js';
import { errorEnvelopeSchema } from '../openapi.js';
import { openTestServer, type TestServer } from '../testing/open-test-server.js';

let sandbox: StripeSandbox;
beforeAll(async () => {
  sandbox = await openStripeSandbox();
});
afterAll(async () => {
  await sandbox.close();
});

describe('billing routes', () => {
  let server: TestServer;
  let customer: { id: string; key: string };

  beforeEach(async () => {
    server = await openTestServer({
      catalog: sandbox.catalog,
      billing: async (tollgate) => (await sandboxBilling(sandbox, tollgate)).billing,
    });
    customer = await server.newCustomer({ email: 'route@example.com' });
  });

  afterEach(async () => {
    sandbox.emulator.clearFaults();
    await server.close();
  });

  const post = (url: string, body?: unknown, headers?: Record<string, string>) =>
    server.call('POST', url, {
      key: customer.key,
      ...(body === undefined ? {} : { body }),
      ...(headers ? { headers } : {}),
    });
  const get = (url: string) => server.call('GET', url, { key: customer.key });
  const route = (method: string, url: string) =>
    documentedRoutesOf(server.app).find((candidate) => candidate.method === method && candidate.url === url);
  /** The answer matches the route's documented success schema. */
  const documented = (method: string, url: string, body: unknown) => {
    const parsed = route(method, url.split('?')[0] ?? url)?.response.safeParse(body);
    expect(parsed?.error?.issues ?? [], `${method} ${url}`).toEqual([]);
  };
  const expectError = (response: { statusCode: number; json(): unknown }, status: number, code: string) => {
    expect(response.statusCode).toBe(status);
    expect(response.json()).toMatchObject({ error: code });
    expect(errorEnvelopeSchema.safeParse(response.json()).success).toBe(true);
  };

  it('shows the free tier before any subscription', async () => {
    const response = await get('/api/v1/billing/subscription');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      customer_id: customer.id,
      customer_name: null,
      customer_email: 'route@example.com',
      subscription_tier: 'free',
      status: 'active',
      subscription_id: null,
      cancel_at_period_end: false,
      limits: { credits_per_month: 100, requests_per_minute: 10 },
    });
    documented('GET', '/api/v1/billing/subscription', response.json());
    expect((await get('/api/v1/billing/invoices')).json()).toEqual({ invoices: [] });
    expect((await get('/api/v1/billing/payment-methods')).json()).toEqual({ payment_methods: [] });
  });

  it('serves every billing route to a billing session, which cannot ask for another link', async () => {
    const link = (await post('/api/v1/billing/dashboard-link', {})).json();
    const token = new URL(link.url).searchParams.get('token');
    const session = (
      await server.call('POST', '/api/v1/billing/dashboard-session', { body: { token } })
    ).json();
    const asSession = (method: string, url: string, body?: unknown) =>
      server.call(method, url, {
        headers: { authorization: `Bearer ${session.session_token}` },
        ...(body === undefined ? {} : { body }),
      });
    expect((await asSession('GET', '/api/v1/billing/subscription')).json().customer_id).toBe(customer.id);
    const trial = await asSession('POST', '/api/v1/billing/subscribe', { tier: 'pro' });
    expect(trial.statusCode).toBe(200);
    expect(trial.json().subscription).toMatchObject({ customer_id: customer.id, status: 'trialing' });
    expect((await asSession('POST', '/api/v1/billing/cancel', {})).statusCode).toBe(200);
    expect((await asSession('POST', '/api/v1/billing/resume')).statusCode).toBe(200);
    expect((await asSession('GET', '/api/v1/billing/invoices')).statusCode).toBe(200);
    expect((await asSession('GET', '/api/v1/billing/payment-methods')).statusCode).toBe(200);
    const portal = await asSession('POST', '/api/v1/billing/portal', { return_url: 'https://app.example/' });
    expect(portal.statusCode).toBe(200);
    expectError(await asSession('POST', '/api/v1/billing/dashboard-link', {}), 403, 'forbidden');
    const sessionRoutes = documentedRoutesOf(server.app)
      .filter((candidate) => candidate.sessions)
      .map((candidate) => `${candidate.method} ${candidate.url}`);
    expect(sessionRoutes.sort()).toEqual(
      [
        'GET /api/v1/usage',
        'GET /api/v1/usage/history',
        'GET /api/v1/entitlements',
        'GET /api/v1/billing/subscription',
        'POST /api/v1/billing/subscribe',
        'POST /api/v1/billing/upgrade',
        'POST /api/v1/billing/upgrade/preview',
        'POST /api/v1/billing/cancel',
        'POST /api/v1/billing/resume',
        'POST /api/v1/billing/checkout',
        'POST /api/v1/billing/portal',
        'GET /api/v1/billing/invoices',
        'GET /api/v1/billing/payment-methods',
        'GET /api/v1/billing/trial',
      ].sort(),
    );
  });

  it('subscribes to a trial without a card, then upgrades, cancels at the period end, resumes and cancels now', async () => {
    const before = await get('/api/v1/billing/trial');
    documented('GET', '/api/v1/billing/trial', before.json());
    expect(before.json()).toEqual({ available: true });
    const trial = await post('/api/v1/billing/subscribe', { tier: 'pro' });
    expect(trial.statusCode).toBe(200);
    documented('POST', '/api/v1/billing/subscribe', trial.json());
    expect(trial.json()).toMatchObject({
      action: 'create_subscription',
      subscription: {
        subscription_tier: 'pro',
        status: 'trialing',
        billing_interval: 'month',
        trial_end: new Date(server.clock.now() + 14 * DAY_MS).toISOString(),
        limits: { credits_per_month: 100000 },
      },
    });

    const upgrade = await post('/api/v1/billing/upgrade', { new_tier: 'enterprise' });
    expect(upgrade.statusCode).toBe(200);
    documented('POST', '/api/v1/billing/upgrade', upgrade.json());
    expect(upgrade.json().subscription).toMatchObject({
      subscription_tier: 'enterprise',
      status: 'trialing',
    });
    expect(upgrade.json().subscription.limits.credits_per_month).toBeNull();

    const cancel = await post('/api/v1/billing/cancel');
    expect(cancel.json()).toMatchObject({
      action: 'cancel_at_period_end',
      subscription: { cancel_at_period_end: true },
    });
    documented('POST', '/api/v1/billing/cancel', cancel.json());
    const resume = await post('/api/v1/billing/resume');
    expect(resume.json()).toMatchObject({
      action: 'undo_cancel',
      subscription: { cancel_at_period_end: false },
    });
    documented('POST', '/api/v1/billing/resume', resume.json());
    const now = await post('/api/v1/billing/cancel', { immediate: true });
    expect(now.json()).toMatchObject({
      action: 'cancel_now',
      subscription: { subscription_tier: 'free', status: 'canceled', subscription_id: null },
    });
    // One trial per customer: the next subscription needs a card.
    expect((await get('/api/v1/billing/trial')).json()).toEqual({ available: false });
    expectError(await post('/api/v1/billing/subscribe', { tier: 'starter' }), 409, 'conflict');
  });

  it("starts the plan's trial with a card: trialing, nothing paid yet", async () => {
    const trial = await post('/api/v1/billing/subscribe', { tier: 'pro', payment_method_id: 'pm_card_visa' });
    expect(trial.statusCode).toBe(200);
    expect(trial.json().subscription).toMatchObject({ subscription_tier: 'pro', status: 'trialing' });
    expect(trial.json().subscription.trial_end).not.toBeNull();
    const invoices = (await get('/api/v1/billing/invoices?limit=5')).json().invoices;
    expect(invoices.every((invoice: { amount_paid: number }) => invoice.amount_paid === 0)).toBe(true);
  });

  it('charges a card, then lists the invoice and the card', async () => {
    const paid = await post('/api/v1/billing/subscribe', {
      tier: 'starter',
      interval: 'year',
      payment_method_id: 'pm_card_visa',
      trial: false,
    });
    expect(paid.json().subscription).toMatchObject({
      subscription_tier: 'starter',
      status: 'active',
      billing_interval: 'year',
    });

    const invoices = await get('/api/v1/billing/invoices?limit=5');
    expect(invoices.statusCode).toBe(200);
    documented('GET', '/api/v1/billing/invoices', invoices.json());
    expect(invoices.json().invoices).toEqual([
      expect.objectContaining({
        status: 'paid',
        amount_paid: 9000,
        currency: 'usd',
        billing_reason: 'subscription_create',
      }),
    ]);
    expect(invoices.json().invoices[0].invoice_pdf).toMatch(/^http/);
    expect(invoices.json().invoices[0].hosted_invoice_url).toMatch(/^http/);

    const methods = await get('/api/v1/billing/payment-methods');
    documented('GET', '/api/v1/billing/payment-methods', methods.json());
    expect(methods.json().payment_methods).toEqual([
      expect.objectContaining({ brand: 'visa', last4: '4242', default: true, exp_year: expect.any(Number) }),
    ]);
  });

  it('answers 402 payment_failed with the decline code for a declined card and changes nothing', async () => {
    const response = await post('/api/v1/billing/subscribe', {
      tier: 'pro',
      payment_method_id: 'pm_card_visa_chargeDeclined',
    });
    expectError(response, 402, 'payment_failed');
    expect(response.json().decline_code).toBe('generic_decline');
    expect((await get('/api/v1/billing/subscription')).json()).toMatchObject({
      subscription_tier: 'free',
      subscription_id: null,
    });
  });

  it('starts Checkout and Portal sessions', async () => {
    const checkout = await post('/api/v1/billing/checkout', {
      tier: 'pro',
      interval: 'year',
      success_url: 'https://app.example/ok',
      cancel_url: 'https://app.example/cancel',
    });
    expect(checkout.statusCode).toBe(200);
    documented('POST', '/api/v1/billing/checkout', checkout.json());
    expect(checkout.json().url).toContain(checkout.json().session_id);
    const session = await sandbox.stripe.checkout.sessions.retrieve(checkout.json().session_id);
    expect(session).toMatchObject({
      client_reference_id: customer.id,
      amount_total: 29000,
      success_url: 'https://app.example/ok',
    });

    const portal = await post('/api/v1/billing/portal', { return_url: 'https://app.example/account' });
    expect(portal.statusCode).toBe(200);
    documented('POST', '/api/v1/billing/portal', portal.json());
    expect(portal.json().url).toMatch(/^http/);
  });

  it('refuses bad input with every issue, before calling Stripe', async () => {
    const cases: Array<[string, unknown, string[]]> = [
      [
        '/api/v1/billing/subscribe',
        { tier: 'pro', interval: 'week', customer_id: 'x' },
        ['customer_id', 'interval'],
      ],
      ['/api/v1/billing/subscribe', { tier: 'pro', payment_method_id: 'visa' }, ['payment_method_id']],
      ['/api/v1/billing/subscribe', { tier: 'pro', trial: 'no' }, ['trial']],
      ['/api/v1/billing/subscribe', { tier: 'pro', trial: false }, ['payment_method_id']],
      ['/api/v1/billing/subscribe', { tier: 'free' }, ['tier']],
      ['/api/v1/billing/subscribe', { tier: 'gold' }, ['tier']],
      ['/api/v1/billing/upgrade', {}, ['new_tier']],
      ['/api/v1/billing/cancel', { immediate: 'yes' }, ['immediate']],
      [
        '/api/v1/billing/checkout',
        { tier: 'pro', success_url: 'javascript:alert(1)', cancel_url: 'ftp://x' },
        ['cancel_url', 'success_url'],
      ],
      ['/api/v1/billing/portal', {}, ['return_url']],
    ];
    for (const [url, body, paths] of cases) {
      const response = await post(url, body);
      expectError(response, 400, 'invalid_request');
      expect(
        response
          .json()
          .issues.map((issue: { path: string }) => issue.path)
          .sort(),
        url,
      ).toEqual(paths);
    }
    expectError(await get('/api/v1/billing/invoices?limit=0'), 400, 'invalid_request');
    const badKey = await post('/api/v1/billing/subscribe', { tier: 'pro' }, { 'idempotency-key': 'a:b' });
    expectError(badKey, 400, 'invalid_request');
    expect(badKey.json().issues).toEqual([expect.objectContaining({ path: 'idempotency-key' })]);
    expect((await get('/api/v1/billing/subscription')).json().subscription_id).toBeNull();
  });

  it('answers 409 conflict for changes that do not fit the subscription state', async () => {
    expectError(await post('/api/v1/billing/upgrade', { new_tier: 'pro' }), 409, 'conflict');
    expectError(await post('/api/v1/billing/cancel'), 409, 'conflict');
    expectError(await post('/api/v1/billing/resume'), 409, 'conflict');
    await post('/api/v1/billing/subscribe', { tier: 'pro' });
    expectError(await post('/api/v1/billing/subscribe', { tier: 'starter' }), 409, 'conflict');
    expectError(
      await post('/api/v1/billing/checkout', {
        tier: 'enterprise',
        success_url: 'https://a.example',
        cancel_url: 'https://a.example',
      }),
      409,
      'conflict',
    );
  });

  it('answers 503 payment_provider_unavailable when Stripe keeps failing, recording nothing', async () => {
    sandbox.emulator.injectFault({ type: '500', count: 3, path_prefix: '/v1/subscriptions', method: 'POST' });
    const response = await post('/api/v1/billing/subscribe', { tier: 'pro' });
    expectError(response, 503, 'payment_provider_unavailable');
    expect((await get('/api/v1/billing/subscription')).json()).toMatchObject({
      subscription_tier: 'free',
      subscription_id: null,
    });
  });

  it('replays the same Idempotency-Key instead of subscribing twice', async () => {
    const first = await post('/api/v1/billing/subscribe', { tier: 'pro' }, { 'idempotency-key': 'signup-1' });
    const stored = await server.store.getCustomer(customer.id);
    // As if the first answer had been lost before it was recorded.
    await server.store.updateCustomer(customer.id, {
      plan: 'free',
      stripeSubscriptionId: null,
      status: 'active',
      updatedAt: 1,
    });
    const again = await post('/api/v1/billing/subscribe', { tier: 'pro' }, { 'idempotency-key': 'signup-1' });
    expect(again.json().subscription.subscription_id).toBe(first.json().subscription.subscription_id);
    const list = await sandbox.stripe.subscriptions.list({ customer: stored?.stripeCustomerId ?? '' });
    expect(list.data).toHaveLength(1);
  });

  it('keeps billing open to a suspended account so it can pay', async () => {
    await server.tollgate.updateCustomer(customer.id, {
      status: 'past_due',
      paymentFailedAt: server.clock.now() - 5 * DAY_MS,
    });
    expect((await get('/api/v1/billing/subscription')).json()).toMatchObject({ status: 'suspended' });
    const portal = await post('/api/v1/billing/portal', { return_url: 'https://app.example/account' });
    expect(portal.statusCode).toBe(200);
    expect((await get('/api/v1/billing/invoices')).statusCode).toBe(200);
  });

  it('needs a customer key: 401 without one, 403 for an admin key', async () => {
    for (const [method, url] of [
      ['GET', '/api/v1/billing/subscription'],
      ['POST', '/api/v1/billing/subscribe'],
      ['GET', '/api/v1/billing/payment-methods'],
    ] as const) {
      expectError(await server.call(method, url), 401, 'unauthorized');
      expectError(await server.call(method, url, { key: server.adminKey }), 403, 'forbidden');
    }
  });

  it('is in the OpenAPI document with its errors, and docs/api.md names every billing route', async () => {
    const document = (await server.call('GET', '/openapi.json')).json();
    const subscribe = document.paths['/api/v1/billing/subscribe']?.post;
    expect(Object.keys(subscribe?.responses ?? {}).sort()).toEqual([
      '200',
      '400',
      '401',
      '402',
      '403',
      '404',
      '409',
      '413',
      '503',
    ]);
    const guide = readFileSync(new URL('../../../docs/api.md', import.meta.url), 'utf8');
    const billingRoutes = documentedRoutesOf(server.app).filter((candidate) =>
      candidate.url.startsWith('/api/v1/billing'),
    );
    // The eleven Stripe-backed routes and the dashboard link and session.
    expect(billingRoutes).toHaveLength(13);
    expect(
      billingRoutes
        .map((candidate) => `${candidate.method} ${candidate.url}`)
        .filter((name) => !guide.includes(name)),
    ).toEqual([]);
  });
});
