/**
 * Negotiated prices through the emulator (official SDK, signed webhooks, a test clock from a fixed
 * date), on SQLite and PostgreSQL: set through the admin API, charged at their amount on subscribe,
 * on an upgrade's proration and at renewal, counted in MRR, sold to that customer only, created once
 * at Stripe however often they are set, and nothing written when the input or Stripe fails.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { backends } from '../../../test/support/backends.js';
import { type BillingWebhookFixture, openWebhookFixture } from '../webhooks/testing/webhook-fixture.js';

const CONTRACT = 200_000;

describe.each(backends)('negotiated prices (%s)', (_name, open) => {
  let backend: Awaited<ReturnType<typeof open>>;
  let fx: BillingWebhookFixture;

  beforeEach(async () => {
    backend = await open();
    fx = await openWebhookFixture(backend.store);
  }, 30_000);

  afterEach(async () => {
    fx.emulator.clearFaults();
    // The events of the last Stripe calls are delivered before the service closes.
    await fx.settle();
    await fx.close();
    await backend?.cleanup();
  });

  const call = (method: 'GET' | 'PUT' | 'DELETE', url: string, body?: unknown) =>
    fx.app.inject({
      method,
      url,
      headers: { 'x-api-key': fx.adminKey, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { payload: JSON.stringify(body) } : {}),
    });
  const setPrice = (customerId: string, body: Record<string, unknown>) =>
    call('PUT', `/api/v1/admin/customers/${customerId}/prices`, body);
  /** A customer with a card, linked to its Stripe customer on the test clock. */
  const payer = async () => (await fx.newCustomer('pm_card_visa')).customer.id;
  const paidInvoices = async (customerId: string) =>
    (await fx.billing.listInvoices(customerId, 10)).filter((invoice) => invoice.status === 'paid');
  const subscribe = (customerId: string, planId: string) =>
    fx.billing.subscribe(customerId, { planId, paymentMethodId: 'pm_card_visa', trial: false });
  const customerPricesAtStripe = async () =>
    (await fx.stripe.prices.list({ limit: 100 })).data.filter(
      (price) => price.metadata.tollgate_kind === 'customer_price',
    );

  it('charges the negotiated amount on subscribe and at renewal, counts it in MRR, and only for that customer', async () => {
    const contract = await payer();
    const other = await payer();
    const set = await setPrice(contract, {
      plan: 'enterprise',
      interval: 'month',
      amount: CONTRACT,
      reason: 'MSA 2026-014',
    });
    expect(set.statusCode, set.body).toBe(200);
    expect(set.json()).toMatchObject({
      changed: true,
      replaced: null,
      price: { plan: 'enterprise', interval: 'month', amount: CONTRACT, currency: 'usd', active: true },
    });
    // On the plan's product, naming the customer.
    const atStripe = await fx.stripe.prices.retrieve(set.json().price.stripe_price_id);
    const catalogPrice = await fx.stripe.prices.retrieve(fx.priceIds.enterprise?.month ?? '');
    expect(atStripe).toMatchObject({
      unit_amount: CONTRACT,
      currency: 'usd',
      product: catalogPrice.product,
      recurring: expect.objectContaining({ interval: 'month' }),
      metadata: { tollgate_customer_id: contract, tollgate_plan: 'enterprise', tollgate_interval: 'month' },
    });

    await subscribe(contract, 'enterprise');
    await subscribe(other, 'enterprise');
    await fx.settle();
    expect(await fx.customer(contract)).toMatchObject({ plan: 'enterprise', status: 'active' });
    expect((await paidInvoices(contract)).map((invoice) => invoice.amountPaid)).toEqual([CONTRACT]);
    expect((await paidInvoices(other)).map((invoice) => invoice.amountPaid)).toEqual([49_900]);

    const revenue = (await call('GET', '/api/v1/admin/revenue')).json();
    expect(revenue).toMatchObject({
      mrr: CONTRACT + 49_900,
      arpu: (CONTRACT + 49_900) / 2,
      paying_customers: 2,
    });
    // The daily snapshot the answer recorded counts it too.
    const today = new Date(fx.clock.now()).toISOString().slice(0, 10);
    expect(await backend.store.listRevenueSnapshots(today, today)).toEqual([
      expect.objectContaining({ mrr: CONTRACT + 49_900, payingCustomers: 2 }),
    ]);

    // Renewal: the webhooks apply the new period on the negotiated price (still enterprise) and the
    // renewal invoice is its amount.
    const periodEnd = (await fx.customer(contract)).periodEnd ?? 0;
    await fx.advance({ to: 'renewal' });
    const renewed = await fx.customer(contract);
    expect(renewed).toMatchObject({ plan: 'enterprise', status: 'active' });
    expect(renewed.periodStart).toBe(periodEnd);
    expect((await paidInvoices(contract)).map((invoice) => invoice.amountPaid)).toEqual([CONTRACT, CONTRACT]);
    expect((await paidInvoices(other)).map((invoice) => invoice.amountPaid)).toEqual([49_900, 49_900]);
    expect((await call('GET', '/api/v1/admin/revenue')).json().mrr).toBe(CONTRACT + 49_900);
  }, 60_000);

  it("starts Checkout on the negotiated price and shows it in the customer's own view, not in the public catalog", async () => {
    const customer = await payer();
    const other = await payer();
    await setPrice(customer, { plan: 'enterprise', interval: 'month', amount: CONTRACT });
    const stripePriceId = (await backend.store.listCustomerPrices({ customerId: customer }))[0]
      ?.stripePriceId;
    const urls = { successUrl: 'https://app.example/ok', cancelUrl: 'https://app.example/no' };
    const session = await fx.billing.startCheckout(customer, { planId: 'enterprise', ...urls });
    const lines = await fx.stripe.checkout.sessions.listLineItems(session.sessionId);
    expect(lines.data.map((line) => [line.price?.id, line.amount_total])).toEqual([
      [stripePriceId, CONTRACT],
    ]);
    const otherSession = await fx.billing.startCheckout(other, { planId: 'enterprise', ...urls });
    const otherLines = await fx.stripe.checkout.sessions.listLineItems(otherSession.sessionId);
    expect(otherLines.data.map((line) => line.price?.id)).toEqual([fx.priceIds.enterprise?.month]);

    const view = async (customerId: string) => {
      const key = (await fx.tollgate.issueApiKey(customerId, 'billing page')).key;
      const answer = await fx.app.inject({
        method: 'GET',
        url: '/api/v1/billing/subscription',
        headers: { 'x-api-key': key },
      });
      expect(answer.statusCode, answer.body).toBe(200);
      return answer.json();
    };
    expect((await view(customer)).contract_prices).toEqual([
      { plan: 'enterprise', interval: 'month', amount: CONTRACT, currency: 'usd' },
    ]);
    expect((await view(other)).contract_prices).toEqual([]);
    // Completing the hosted page: the webhooks recognise the negotiated price as enterprise.
    const confirmed = await fetch(`${fx.emulator.url}/v1/payment_pages/${session.sessionId}/confirm`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${fx.emulator.secretKey}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ payment_method: 'pm_card_visa' }).toString(),
    });
    expect(confirmed.status, await confirmed.text()).toBe(200);
    await fx.settle();
    expect(await fx.customer(customer)).toMatchObject({ plan: 'enterprise', status: 'active' });
    expect((await paidInvoices(customer)).map((invoice) => invoice.amountPaid)).toEqual([CONTRACT]);
    expect((await view(customer)).price).toEqual({
      amount: CONTRACT,
      currency: 'usd',
      interval: 'month',
      contract: true,
    });
    const plans = (await fx.app.inject({ method: 'GET', url: '/api/v1/plans' })).json();
    expect(JSON.stringify(plans)).not.toContain(String(CONTRACT));
  }, 30_000);

  it('prorates an upgrade to the negotiated price on its amount, as previewed', async () => {
    const customer = await payer();
    await subscribe(customer, 'pro');
    await setPrice(customer, { plan: 'enterprise', interval: 'month', amount: CONTRACT });
    // 15 of the 31 days of January 15 -> February 15: 16 days left.
    await fx.advance(15 * 86_400);
    const preview = await fx.billing.previewChangePlan(customer, { planId: 'enterprise' });
    expect(preview).toMatchObject({ action: 'change_price', direction: 'upgrade' });
    const expected = Math.round((CONTRACT * 16) / 31) - Math.round((2_900 * 16) / 31);
    expect(preview.preview?.amountDue).toBe(expected);
    const changed = await fx.billing.changePlan(customer, {
      planId: 'enterprise',
      prorationDate: preview.preview?.prorationDate ?? 0,
    });
    expect(changed.customer.plan).toBe('enterprise');
    expect(changed.charge?.amountPaid).toBe(expected);
    expect(changed.direction).toBe('upgrade');
    // The next renewal bills the whole negotiated amount.
    await fx.advance({ to: 'renewal' });
    expect((await paidInvoices(customer)).map((invoice) => invoice.amountPaid)).toEqual([
      CONTRACT,
      expected,
      2_900,
    ]);
  }, 60_000);

  it('creates one Stripe price however often the same price is set, and reuses it after a change back', async () => {
    const customer = await payer();
    const first = (
      await setPrice(customer, { plan: 'enterprise', interval: 'month', amount: CONTRACT })
    ).json();
    const again = await setPrice(customer, { plan: 'enterprise', interval: 'month', amount: CONTRACT });
    expect(again.json()).toMatchObject({ changed: false, price: { id: first.price.id } });
    expect(await customerPricesAtStripe()).toHaveLength(1);

    const lower = (
      await setPrice(customer, { plan: 'enterprise', interval: 'month', amount: 180_000 })
    ).json();
    expect(lower).toMatchObject({ changed: true, replaced: { id: first.price.id, active: false } });
    const back = (
      await setPrice(customer, { plan: 'enterprise', interval: 'month', amount: CONTRACT })
    ).json();
    expect(back.price.stripe_price_id).toBe(first.price.stripe_price_id);
    expect(await customerPricesAtStripe()).toHaveLength(2);

    const list = (await call('GET', `/api/v1/admin/customers/${customer}/prices`)).json();
    expect(list.data).toEqual([expect.objectContaining({ amount: CONTRACT, active: true })]);
    const history = (await call('GET', `/api/v1/admin/customers/${customer}/prices?history=true`)).json();
    expect(history.data.map((price: { amount: number }) => price.amount)).toEqual([
      CONTRACT,
      180_000,
      CONTRACT,
    ]);
    const audit = await backend.store.listAudit({
      customerId: customer,
      action: 'customer.price_set',
      limit: 10,
    });
    expect(audit.entries).toHaveLength(3);
    expect(audit.entries[0]?.details).toMatchObject({
      before: { amount: 180_000 },
      after: { amount: CONTRACT },
    });
    expect(audit.entries[0]?.actor).toMatch(/^admin:/);
  }, 30_000);

  it('after removal sells the catalog price again; a subscription on the old price keeps it', async () => {
    const customer = await payer();
    await setPrice(customer, { plan: 'enterprise', interval: 'month', amount: CONTRACT });
    await subscribe(customer, 'enterprise');
    const removed = await call('DELETE', `/api/v1/admin/customers/${customer}/prices/enterprise/month`);
    expect(removed.statusCode, removed.body).toBe(200);
    expect(removed.json().price).toMatchObject({ active: false, amount: CONTRACT });
    expect(
      (await call('DELETE', `/api/v1/admin/customers/${customer}/prices/enterprise/month`)).statusCode,
    ).toBe(404);
    expect((await call('GET', `/api/v1/admin/customers/${customer}/prices`)).json().data).toEqual([]);
    const audit = await backend.store.listAudit({
      customerId: customer,
      action: 'customer.price_removed',
      limit: 5,
    });
    expect(audit.entries[0]?.details).toMatchObject({ before: { amount: CONTRACT }, after: null });

    await fx.advance({ to: 'renewal' });
    expect(await fx.customer(customer)).toMatchObject({ plan: 'enterprise', status: 'active' });
    expect((await paidInvoices(customer)).map((invoice) => invoice.amountPaid)).toEqual([CONTRACT, CONTRACT]);
    // A change now goes to the catalog price: a downgrade (cheaper), credited on the next invoice.
    const preview = await fx.billing.previewChangePlan(customer, { planId: 'enterprise' });
    expect(preview).toMatchObject({ action: 'change_price', direction: 'downgrade' });
  }, 60_000);

  it('refuses bad input with issues and writes nothing, and answers 503 with nothing written when Stripe fails', async () => {
    const customer = await payer();
    const refusals: [Record<string, unknown>, string][] = [
      [{ plan: 'platinum', interval: 'month', amount: 1000 }, 'plan'],
      [{ plan: 'free', interval: 'month', amount: 1000 }, 'plan'],
      [{ plan: 'enterprise', interval: 'week', amount: 1000 }, 'interval'],
      [{ plan: 'enterprise', interval: 'month', amount: -1 }, 'amount'],
      [{ plan: 'enterprise', interval: 'month', amount: 10.5 }, 'amount'],
      [{ plan: 'enterprise', interval: 'month', amount: '1000' }, 'amount'],
    ];
    for (const [body, path] of refusals) {
      const answer = await setPrice(customer, body);
      expect(answer.statusCode, JSON.stringify(body)).toBe(400);
      expect(answer.json()).toMatchObject({
        error: 'invalid_request',
        issues: [expect.objectContaining({ path })],
      });
    }
    expect(
      (await setPrice('cus_nobody', { plan: 'enterprise', interval: 'month', amount: 1 })).statusCode,
    ).toBe(404);

    // Three answers of 500: the first call and the SDK's two retries.
    fx.emulator.injectFault({ type: '500', count: 3, path_prefix: '/v1/prices' });
    const failed = await setPrice(customer, { plan: 'enterprise', interval: 'month', amount: CONTRACT });
    expect(failed.statusCode).toBe(503);
    expect(failed.json()).toMatchObject({ error: 'payment_provider_unavailable' });

    expect(await backend.store.listCustomerPrices({ customerId: customer, includeRemoved: true })).toEqual(
      [],
    );
    const audited = (await backend.store.listAudit({ customerId: customer, limit: 20 })).entries;
    expect(audited.filter((entry) => entry.action.startsWith('customer.price'))).toEqual([]);
    expect(await customerPricesAtStripe()).toEqual([]);
    // Once Stripe is back the same request works.
    const again = await setPrice(customer, { plan: 'enterprise', interval: 'month', amount: CONTRACT });
    expect(again.statusCode).toBe(200);
  }, 30_000);
});
