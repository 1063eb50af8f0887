/**
 * The billing flows against the Stripe emulator through the official SDK, on SQLite and PostgreSQL:
 * trials without a card, cards that pay or decline, Checkout, plan changes with proration, cancel and
 * resume, invoices and payment methods, Stripe failing (retried, then 503 with nothing recorded) and
 * deterministic idempotency keys (a retried subscribe never makes a second subscription).
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Backend, backends } from '../../../test/support/backends.js';
import { TollgateError } from '../../core/errors.js';
import { DAY_MS } from '../../core/periods.js';
import {
  type BillingFixture,
  openBillingFixture,
  openStripeSandbox,
  type StripeSandbox,
} from './testing/open-billing-fixture.js';

let sandbox: StripeSandbox;
beforeAll(async () => {
  sandbox = await openStripeSandbox();
});
afterAll(async () => {
  await sandbox.close();
});

/** Completes a hosted Checkout page as a script would, paying with a test card. */
async function confirmCheckout(sessionId: string, paymentMethod = 'pm_card_visa'): Promise<void> {
  const response = await fetch(`${sandbox.emulator.url}/v1/payment_pages/${sessionId}/confirm`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${sandbox.emulator.secretKey}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ payment_method: paymentMethod }).toString(),
  });
  expect(response.status, await response.clone().text()).toBe(200);
}

async function failure(promise: Promise<unknown>): Promise<TollgateError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(TollgateError);
  return error as TollgateError;
}

describe.each(backends)('billing flows on %s', (_name, open) => {
  let backend: Backend;
  let fixture: BillingFixture;
  let customerId: string;

  beforeEach(async () => {
    backend = await open();
    fixture = await openBillingFixture(sandbox, backend.store);
    customerId = await fixture.newCustomer();
  });

  afterEach(async () => {
    sandbox.emulator.clearFaults();
    await fixture.close();
    await backend.cleanup();
  });

  const stored = async () => {
    const customer = await backend.store.getCustomer(customerId);
    if (!customer) throw new Error('customer vanished');
    return customer;
  };
  const limits = async () => fixture.tollgate.access(await stored()).plan.limits;

  it('starts a trial without a card: trialing on the plan, with its limits, pausing if no card comes', async () => {
    const outcome = await fixture.billing.subscribe(customerId, { planId: 'pro' });
    expect(outcome.action).toBe('create_subscription');
    const customer = await stored();
    expect(customer).toMatchObject({ plan: 'pro', status: 'trialing', billingInterval: 'month' });
    expect(customer.trialEnd).toBe(fixture.clock.now() + 14 * DAY_MS);
    expect((await limits()).credits).toBe(100_000_000);

    const subscription = await sandbox.stripe.subscriptions.retrieve(customer.stripeSubscriptionId ?? '');
    expect(subscription.status).toBe('trialing');
    expect(subscription.trial_settings?.end_behavior.missing_payment_method).toBe('pause');
    expect(subscription.metadata).toMatchObject({ tollgate_customer_id: customerId, tollgate_plan: 'pro' });
    const stripeCustomer = await sandbox.stripe.customers.retrieve(customer.stripeCustomerId ?? '');
    expect(stripeCustomer).toMatchObject({
      metadata: { tollgate_customer_id: customerId },
      test_clock: fixture.testClock,
    });
  });

  it('gives one trial per customer: canceled and subscribed again without a card is refused', async () => {
    await fixture.billing.subscribe(customerId, { planId: 'pro' });
    await fixture.billing.cancel(customerId, { immediate: true });
    expect(await stored()).toMatchObject({ plan: 'free', status: 'canceled' });
    const again = fixture.billing.subscribe(customerId, { planId: 'starter' });
    await expect(again).rejects.toMatchObject({ code: 'conflict' });
    await expect(again).rejects.toThrow(/trial was used/);
    expect(await stored()).toMatchObject({ plan: 'free', status: 'canceled' });
    // With a card: no trial, charged at once.
    await fixture.billing.subscribe(customerId, { planId: 'starter', paymentMethodId: 'pm_card_visa' });
    expect(await stored()).toMatchObject({ plan: 'starter', status: 'active', trialEnd: null });
  });

  /** Moves the engine's clock and the Stripe test clock together, then reads the subscription back. */
  const advanceDays = async (days: number) => {
    fixture.clock.advance(days * DAY_MS);
    await sandbox.stripe.testHelpers.testClocks.advance(fixture.testClock, {
      frozen_time: Math.floor(fixture.clock.now() / 1000),
    });
    await sandbox.emulator.settle();
    return fixture.billing.refresh(customerId);
  };

  it("starts the plan's trial with a card too: nothing charged until it ends, then the card pays", async () => {
    const started = fixture.clock.now();
    await fixture.billing.subscribe(customerId, { planId: 'pro', paymentMethodId: 'pm_card_visa' });
    const customer = await stored();
    expect(customer).toMatchObject({ plan: 'pro', status: 'trialing', trialEnd: started + 14 * DAY_MS });
    const subscription = await sandbox.stripe.subscriptions.retrieve(customer.stripeSubscriptionId ?? '');
    expect(subscription.status).toBe('trialing');
    const paidDuringTrial = (await fixture.billing.listInvoices(customerId, 10)).map((i) => i.amountPaid);
    expect(paidDuringTrial.every((amount) => amount === 0)).toBe(true);
    expect(await fixture.billing.trialAvailable(customerId)).toBe(true);

    expect(await advanceDays(15)).toMatchObject({ plan: 'pro', status: 'active', paymentFailedAt: null });
    const invoices = await fixture.billing.listInvoices(customerId, 10);
    expect(invoices.filter((invoice) => invoice.status === 'paid').map((i) => i.amountPaid)).toContain(2900);
    // The trial is spent: the one per customer, whichever way it started.
    expect(await fixture.billing.trialAvailable(customerId)).toBe(false);
  });

  it('gives one trial per customer after a trial with a card: a card is then charged at once', async () => {
    await fixture.billing.subscribe(customerId, { planId: 'pro', paymentMethodId: 'pm_card_visa' });
    await advanceDays(15);
    await fixture.billing.cancel(customerId, { immediate: true });
    const without = fixture.billing.subscribe(customerId, { planId: 'starter' });
    await expect(without).rejects.toMatchObject({ code: 'conflict' });
    await fixture.billing.subscribe(customerId, { planId: 'starter', paymentMethodId: 'pm_card_visa' });
    expect(await stored()).toMatchObject({ plan: 'starter', status: 'active', trialEnd: null });
  });

  it('refuses trial: false without a card, having asked Stripe for nothing', async () => {
    const error = await failure(fixture.billing.subscribe(customerId, { planId: 'pro', trial: false }));
    expect(error.toBody()).toMatchObject({
      error: 'invalid_request',
      issues: [{ path: 'payment_method_id' }],
    });
    expect(await stored()).toMatchObject({ plan: 'free', stripeCustomerId: null });
  });

  it('charges a card at once with trial: false: active, with the card as the default payment method', async () => {
    await fixture.billing.subscribe(customerId, {
      planId: 'starter',
      paymentMethodId: 'pm_card_visa',
      trial: false,
    });
    expect(await stored()).toMatchObject({ plan: 'starter', status: 'active', trialEnd: null });
    const methods = await fixture.billing.listPaymentMethods(customerId);
    expect(methods).toEqual([
      expect.objectContaining({
        brand: 'visa',
        last4: '4242',
        isDefault: true,
        expMonth: expect.any(Number),
      }),
    ]);
    const invoices = await fixture.billing.listInvoices(customerId, 10);
    expect(invoices).toHaveLength(1);
    expect(invoices[0]).toMatchObject({
      status: 'paid',
      amountPaid: 900,
      currency: 'usd',
      hostedInvoiceUrl: expect.stringContaining('http'),
      invoicePdf: expect.stringContaining('http'),
      subscriptionId: (await stored()).stripeSubscriptionId,
    });
  });

  it('answers 402 payment_failed with the decline code for a declined card, recording nothing', async () => {
    const before = await stored();
    const error = await failure(
      fixture.billing.subscribe(customerId, {
        planId: 'pro',
        paymentMethodId: 'pm_card_visa_chargeDeclined',
      }),
    );
    expect(error.status).toBe(402);
    expect(error.toBody()).toMatchObject({ error: 'payment_failed', decline_code: 'generic_decline' });
    const after = await stored();
    expect(after).toMatchObject({
      plan: 'free',
      status: 'active',
      stripeSubscriptionId: null,
      billingInterval: null,
    });
    expect(after.plan).toBe(before.plan);
  });

  it.each([
    ['month', 2900],
    ['year', 29000],
  ] as const)(
    'upgrades through Checkout (%sly): the subscription read back sets tier and limits',
    async (interval, amount) => {
      const session = await fixture.billing.startCheckout(customerId, {
        planId: 'pro',
        interval,
        successUrl: 'https://app.example/billing/done',
        cancelUrl: 'https://app.example/billing',
      });
      expect(session.url).toContain(session.sessionId);
      const created = await sandbox.stripe.checkout.sessions.retrieve(session.sessionId);
      expect(created).toMatchObject({
        mode: 'subscription',
        client_reference_id: customerId,
        amount_total: amount,
        metadata: { tollgate_customer_id: customerId, tollgate_plan: 'pro', tollgate_interval: interval },
      });
      expect((await stored()).plan).toBe('free');

      await confirmCheckout(session.sessionId);
      const customer = await fixture.billing.refresh(customerId);
      expect(customer).toMatchObject({ plan: 'pro', status: 'active', billingInterval: interval });
      expect((await limits()).requestsPerMinute).toBe(100);
    },
  );

  it('upgrades now with the difference invoiced, and downgrades now with the unused time credited', async () => {
    await fixture.billing.subscribe(customerId, {
      planId: 'pro',
      paymentMethodId: 'pm_card_visa',
      trial: false,
    });
    fixture.clock.advance(10 * DAY_MS);
    await sandbox.stripe.testHelpers.testClocks.advance(fixture.testClock, {
      frozen_time: Math.floor(fixture.clock.now() / 1000),
    });
    await sandbox.emulator.settle();

    const upgrade = await fixture.billing.preview(customerId, { kind: 'change', planId: 'enterprise' });
    expect(upgrade).toMatchObject({
      kind: 'change_price',
      direction: 'upgrade',
      proration: 'always_invoice',
    });
    await fixture.billing.changePlan(customerId, { planId: 'enterprise' });
    expect(await stored()).toMatchObject({ plan: 'enterprise', status: 'active' });
    expect((await limits()).credits).toBeNull();
    const stripeCustomer = (await stored()).stripeCustomerId ?? '';
    const upgradeItems = (await sandbox.stripe.invoiceItems.list({ customer: stripeCustomer })).data;
    expect(
      upgradeItems
        .filter((item) => item.proration)
        .map((item) => Math.sign(item.amount))
        .sort(),
    ).toEqual([-1, 1]);
    const invoices = await fixture.billing.listInvoices(customerId, 10);
    expect(invoices[0]).toMatchObject({ billingReason: 'subscription_update', status: 'paid' });
    expect(invoices[0]?.amountPaid).toBeGreaterThan(0);

    await fixture.billing.changePlan(customerId, { planId: 'pro' });
    expect(await stored()).toMatchObject({ plan: 'pro', status: 'active' });
    const pending = (await sandbox.stripe.invoiceItems.list({ customer: stripeCustomer, pending: true }))
      .data;
    expect(pending.some((item) => item.proration && item.amount < 0)).toBe(true);
    expect(await fixture.billing.listInvoices(customerId, 10)).toHaveLength(invoices.length);
  });

  it('cancels at the period end and resumes; an immediate cancel returns to the free tier', async () => {
    await fixture.billing.subscribe(customerId, {
      planId: 'pro',
      paymentMethodId: 'pm_card_visa',
      trial: false,
    });
    const pending = await fixture.billing.cancel(customerId, { immediate: false });
    expect(pending.customer).toMatchObject({ plan: 'pro', status: 'active', cancelAtPeriodEnd: true });
    const subscriptionId = pending.customer.stripeSubscriptionId ?? '';
    expect((await sandbox.stripe.subscriptions.retrieve(subscriptionId)).cancel_at_period_end).toBe(true);
    expect((await fixture.billing.cancel(customerId, { immediate: false })).action).toBe('nothing');

    await fixture.billing.resume(customerId);
    expect(await stored()).toMatchObject({ plan: 'pro', cancelAtPeriodEnd: false });
    expect((await sandbox.stripe.subscriptions.retrieve(subscriptionId)).cancel_at_period_end).toBe(false);

    await fixture.billing.cancel(customerId, { immediate: true });
    expect(await stored()).toMatchObject({ plan: 'free', status: 'canceled', stripeSubscriptionId: null });
    expect((await limits()).credits).toBe(100_000);
    expect((await sandbox.stripe.subscriptions.retrieve(subscriptionId)).status).toBe('canceled');
    expect((await failure(fixture.billing.resume(customerId))).code).toBe('conflict');
  });

  it('pauses a trial that ends without a card (free tier), and a new subscription with a card replaces it', async () => {
    await fixture.billing.subscribe(customerId, { planId: 'starter' });
    const trialId = (await stored()).stripeSubscriptionId ?? '';
    fixture.clock.advance(15 * DAY_MS);
    await sandbox.stripe.testHelpers.testClocks.advance(fixture.testClock, {
      frozen_time: Math.floor(fixture.clock.now() / 1000),
    });
    await sandbox.emulator.settle();
    expect(await fixture.billing.refresh(customerId)).toMatchObject({
      plan: 'free',
      status: 'canceled',
      stripeSubscriptionId: trialId,
    });

    await fixture.billing.subscribe(customerId, { planId: 'starter', paymentMethodId: 'pm_card_visa' });
    expect(await stored()).toMatchObject({ plan: 'starter', status: 'active' });
    expect((await stored()).stripeSubscriptionId).not.toBe(trialId);
    expect((await sandbox.stripe.subscriptions.retrieve(trialId)).status).toBe('canceled');
  });

  it('refuses a second subscription, the free plan, unknown plans and trial-less plans without a card', async () => {
    const codes = async (promise: Promise<unknown>) => (await failure(promise)).toBody();
    expect(await codes(fixture.billing.subscribe(customerId, { planId: 'free' }))).toMatchObject({
      error: 'invalid_request',
      issues: [{ path: 'tier' }],
    });
    expect(await codes(fixture.billing.subscribe(customerId, { planId: 'gold' }))).toMatchObject({
      issues: [{ path: 'tier', message: "unknown plan 'gold'" }],
    });
    expect(await codes(fixture.billing.changePlan(customerId, { planId: 'pro' }))).toMatchObject({
      error: 'conflict',
    });
    await fixture.billing.subscribe(customerId, { planId: 'pro' });
    expect(await codes(fixture.billing.subscribe(customerId, { planId: 'starter' }))).toMatchObject({
      error: 'conflict',
    });
  });

  it('retries Stripe 500s, and answers 503 with nothing recorded once the retries are used up', async () => {
    sandbox.emulator.injectFault({ type: '500', count: 2, path_prefix: '/v1/subscriptions', method: 'POST' });
    await fixture.billing.subscribe(customerId, { planId: 'pro' });
    expect((await stored()).plan).toBe('pro');

    const other = await fixture.newCustomer();
    sandbox.emulator.injectFault({ type: '500', count: 3, path_prefix: '/v1/customers', method: 'POST' });
    const error = await failure(fixture.billing.subscribe(other, { planId: 'pro' }));
    expect(error.status).toBe(503);
    expect(error.toBody()).toEqual({
      error: 'payment_provider_unavailable',
      message: 'The payment provider is unavailable; try again.',
      stripe_request_id: expect.stringMatching(/^req_/),
    });
    expect(await backend.store.getCustomer(other)).toMatchObject({
      plan: 'free',
      status: 'active',
      stripeCustomerId: null,
      stripeSubscriptionId: null,
    });

    sandbox.emulator.injectFault({ type: '500', count: 3, path_prefix: '/v1/subscriptions', method: 'POST' });
    await failure(fixture.billing.subscribe(other, { planId: 'pro' }));
    expect(await backend.store.getCustomer(other)).toMatchObject({
      plan: 'free',
      stripeSubscriptionId: null,
    });
    // The retry after the outage creates the one subscription.
    await fixture.billing.subscribe(other, { planId: 'pro' });
    const stripeCustomer = (await backend.store.getCustomer(other))?.stripeCustomerId ?? '';
    expect((await sandbox.stripe.subscriptions.list({ customer: stripeCustomer })).data).toHaveLength(1);
  });

  it('sends the same key for the same request: a retried subscribe never makes a second subscription', async () => {
    const first = await fixture.billing.subscribe(customerId, { planId: 'pro' }, { idempotencyKey: 'req-1' });
    const stripeCustomer = first.customer.stripeCustomerId ?? '';
    // The answer was lost before Tollgate recorded it: the same request comes again.
    await backend.store.updateCustomer(customerId, {
      plan: 'free',
      status: 'active',
      stripeSubscriptionId: null,
      billingInterval: null,
      trialEnd: null,
      periodStart: null,
      periodEnd: null,
      updatedAt: 0,
    });
    const again = await fixture.billing.subscribe(customerId, { planId: 'pro' }, { idempotencyKey: 'req-1' });
    expect(again.customer.stripeSubscriptionId).toBe(first.customer.stripeSubscriptionId);
    expect((await sandbox.stripe.subscriptions.list({ customer: stripeCustomer })).data).toHaveLength(1);

    // Without a client key, concurrent identical requests plan on the same state: one subscription.
    const other = await fixture.newCustomer();
    const results = await Promise.allSettled([
      fixture.billing.subscribe(other, { planId: 'pro' }),
      fixture.billing.subscribe(other, { planId: 'pro' }),
    ]);
    expect(results.map((result) => result.status).sort()).toEqual(['fulfilled', 'rejected']);
    const otherStripe = (await backend.store.getCustomer(other))?.stripeCustomerId ?? '';
    expect((await sandbox.stripe.subscriptions.list({ customer: otherStripe })).data).toHaveLength(1);
    expect(
      (await sandbox.stripe.customers.list({ limit: 100 })).data.filter(
        (customer) => customer.metadata.tollgate_customer_id === other,
      ),
    ).toHaveLength(1);
  });
});
