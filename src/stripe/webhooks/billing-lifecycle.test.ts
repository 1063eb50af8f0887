/**
 * The billing lifecycle end to end, on SQLite and PostgreSQL: the emulator (official SDK, a test clock)
 * delivers signed webhooks to the service, whose clock follows the test clock. Trials, renewals, Portal
 * cancellation, dunning through grace to suspension and back, and reconciliation after dropped events.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../../../test/support/backends.js';
import { buildPriceIndex } from '../../core/billing/subscription-state.js';
import { DAY_MS } from '../../core/periods.js';
import { checkSuspensions } from '../../notifications/suspension-notices.js';
import { createBillingService } from '../billing/billing-service.js';
import { createStripeGateway } from '../gateway/stripe-gateway.js';
import { reconcile } from '../reconcile/reconcile.js';
import { GRACE_MS, openWebhookFixture, type WebhookFixture } from './testing/webhook-fixture.js';

const DAY = 86_400;

describe.each(backends)('billing lifecycle over webhooks (%s)', (_name, open) => {
  let backend: Awaited<ReturnType<typeof open>>;
  let fx: WebhookFixture;

  beforeAll(async () => {
    backend = await open();
    fx = await openWebhookFixture(backend.store);
  }, 30_000);

  afterAll(async () => {
    await fx?.close();
    await backend?.cleanup();
  });

  const proMonthly = () => fx.priceIds.pro?.month ?? '';
  const capture = (customerId: string) => fx.tollgate.consume(customerId, { operation: 'capture' });

  it('trial without a card: trial_will_end notifies, a card added makes it active, renewal resets usage', async () => {
    const { customer, stripeCustomerId } = await fx.newCustomer();
    await fx.stripe.subscriptions.create({
      customer: stripeCustomerId,
      items: [{ price: proMonthly() }],
      trial_period_days: 14,
    });
    await fx.settle();
    expect(await fx.customer(customer.id)).toMatchObject({ plan: 'pro', status: 'trialing' });
    expect((await capture(customer.id)).allowed).toBe(true);

    await fx.advance(12 * DAY);
    expect(
      fx.notifier.notifications.filter((n) => n.customerId === customer.id).map((n) => n.type),
    ).toContain('trial_ending');

    const card = await fx.stripe.paymentMethods.attach('pm_card_visa', { customer: stripeCustomerId });
    await fx.stripe.customers.update(stripeCustomerId, {
      invoice_settings: { default_payment_method: card.id },
    });
    await fx.advance(3 * DAY);
    const active = await fx.customer(customer.id);
    expect(active).toMatchObject({ plan: 'pro', status: 'active', paymentFailedAt: null });
    expect((await fx.tollgate.usage(customer.id)).used).toBe(0);

    expect((await capture(customer.id)).allowed).toBe(true);
    expect((await fx.tollgate.usage(customer.id)).used).toBe(1000);
    await fx.advance(31 * DAY);
    const renewed = await fx.customer(customer.id);
    expect(renewed.periodStart).toBeGreaterThan(active.periodStart ?? 0);
    expect((await fx.tollgate.usage(customer.id)).used).toBe(0);
    const invoices = await fx.tollgate.store.listInvoices({ customerId: customer.id, limit: 10 });
    expect(invoices.invoices.filter((invoice) => invoice.status === 'paid').length).toBeGreaterThanOrEqual(2);
  }, 60_000);

  it('Checkout completed: the plan applies, audited as Stripe with the plans on either side and the amount paid', async () => {
    const { customer, stripeCustomerId } = await fx.newCustomer();
    const session = await fx.stripe.checkout.sessions.create({
      mode: 'subscription',
      customer: stripeCustomerId,
      client_reference_id: customer.id,
      line_items: [{ price: proMonthly(), quantity: 1 }],
      success_url: 'https://app.example/billing',
    });
    await fx.stripe.rawRequest('POST', `/v1/payment_pages/${session.id}/confirm`, {
      payment_method: 'pm_card_visa',
    });
    await fx.settle();
    expect(await fx.customer(customer.id)).toMatchObject({ plan: 'pro', status: 'active' });
    const { entries } = await fx.tollgate.store.listAudit({
      customerId: customer.id,
      action: 'checkout.completed',
      limit: 10,
    });
    expect(entries).toEqual([
      expect.objectContaining({
        actor: 'stripe',
        details: expect.objectContaining({
          sessionId: session.id,
          toPlan: 'pro',
          toStatus: 'active',
          amountCharged: 2900,
          currency: 'usd',
        }),
      }),
    ]);
  }, 30_000);

  it('a late subscription.created does not undo an upgrade the billing service applied since', async () => {
    const { customer } = await fx.newCustomer();
    const billing = createBillingService({
      tollgate: fx.tollgate,
      gateway: createStripeGateway({ stripe: fx.stripe, testClock: fx.testClock }),
      prices: () => buildPriceIndex(fx.catalog, fx.priceIds),
      defaultTrialDays: 14,
    });
    // The created event (its object on starter) is held back and is the first of the subscription's
    // events to arrive, after the upgrade (the updated events are lost).
    fx.emulator.injectFault({ type: 'webhook_drop', count: 1, event_type: 'customer.subscription.created' });
    fx.emulator.injectFault({
      type: 'webhook_drop',
      count: 100,
      event_type: 'customer.subscription.updated',
    });
    await billing.subscribe(customer.id, {
      planId: 'starter',
      paymentMethodId: 'pm_card_visa',
      trial: false,
    });
    await billing.changePlan(customer.id, { planId: 'pro' });
    await fx.settle();
    fx.emulator.clearFaults();
    const subscriptionId = (await fx.customer(customer.id)).stripeSubscriptionId;
    const created = (
      await fx.stripe.events.list({ type: 'customer.subscription.created', limit: 100 })
    ).data.find((event) => (event.data.object as { id: string }).id === subscriptionId);
    expect(created).toBeDefined();
    const payload = JSON.stringify(created);
    const answer = await fx.inbox.receive(
      payload,
      fx.stripe.webhooks.generateTestHeaderString({ payload, secret: fx.emulator.webhookSecret }),
    );
    expect(answer.status).toBe(200);
    expect(await fx.customer(customer.id)).toMatchObject({ plan: 'pro', status: 'active' });
  }, 30_000);

  it('Portal cancellation: canceled at period end, free tier after it', async () => {
    const { customer, stripeCustomerId } = await fx.newCustomer('pm_card_visa');
    const subscription = await fx.stripe.subscriptions.create({
      customer: stripeCustomerId,
      items: [{ price: proMonthly() }],
    });
    await fx.settle();
    expect(await fx.customer(customer.id)).toMatchObject({ plan: 'pro', status: 'active' });

    // What the Portal's cancel button does (driven with the SDK, as the Portal flow is another module's).
    await fx.stripe.subscriptions.update(subscription.id, { cancel_at_period_end: true });
    await fx.settle();
    expect(await fx.customer(customer.id)).toMatchObject({
      plan: 'pro',
      status: 'active',
      cancelAtPeriodEnd: true,
    });

    await fx.advance(32 * DAY);
    expect(await fx.customer(customer.id)).toMatchObject({
      plan: 'free',
      status: 'canceled',
      stripeSubscriptionId: null,
      cancelAtPeriodEnd: false,
    });
    expect((await capture(customer.id)).allowed).toBe(true);
  }, 60_000);

  it('failed renewal: past due, served through grace, 403 after it, served again once paid with a fresh quota', async () => {
    const { customer, stripeCustomerId } = await fx.newCustomer('pm_card_visa');
    await fx.stripe.subscriptions.create({ customer: stripeCustomerId, items: [{ price: proMonthly() }] });
    await fx.settle();
    for (let index = 0; index < 5; index += 1) expect((await capture(customer.id)).allowed).toBe(true);

    const failing = await fx.stripe.paymentMethods.attach('pm_card_chargeCustomerFail', {
      customer: stripeCustomerId,
    });
    await fx.stripe.customers.update(stripeCustomerId, {
      invoice_settings: { default_payment_method: failing.id },
    });
    const periodEnd = (await fx.customer(customer.id)).periodEnd ?? 0;
    // The renewal invoice is finalized (and charged) an hour after the period ends.
    await fx.advance(Math.ceil((periodEnd - fx.clock.now()) / 1000) + 2 * 3600);
    const pastDue = await fx.customer(customer.id);
    expect(pastDue).toMatchObject({ status: 'past_due', plan: 'pro' });
    expect(pastDue.paymentFailedAt).not.toBeNull();
    expect(
      fx.notifier.notifications.some((n) => n.customerId === customer.id && n.type === 'payment_failed'),
    ).toBe(true);

    const graceEnds = (pastDue.paymentFailedAt ?? 0) + GRACE_MS;
    await fx.advance(Math.floor((graceEnds - fx.clock.now()) / 1000) - 3600);
    expect(fx.clock.now()).toBeLessThan(graceEnds);
    expect((await capture(customer.id)).allowed).toBe(true);
    expect(await checkSuspensions(fx.tollgate, fx.notifier, GRACE_MS)).not.toContain(customer.id);

    await fx.advance(2 * 3600);
    const refused = await capture(customer.id);
    expect(refused).toMatchObject({ allowed: false, status: 403, reason: 'account_suspended' });
    expect(await checkSuspensions(fx.tollgate, fx.notifier, GRACE_MS)).toEqual([customer.id]);
    expect(await checkSuspensions(fx.tollgate, fx.notifier, GRACE_MS)).toEqual([]);

    const card = await fx.stripe.paymentMethods.attach('pm_card_visa', { customer: stripeCustomerId });
    await fx.stripe.customers.update(stripeCustomerId, {
      invoice_settings: { default_payment_method: card.id },
    });
    const open = await fx.stripe.invoices.list({ customer: stripeCustomerId, status: 'open', limit: 1 });
    const invoiceId = open.data[0]?.id ?? '';
    await fx.stripe.invoices.pay(invoiceId, { payment_method: card.id });
    await fx.settle();

    const recovered = await fx.customer(customer.id);
    expect(recovered).toMatchObject({ status: 'active', paymentFailedAt: null, plan: 'pro' });
    expect(recovered.periodStart).toBeGreaterThan(pastDue.periodStart === null ? 0 : pastDue.periodStart - 1);
    expect((await capture(customer.id)).allowed).toBe(true);
    // The new period began at the renewal: the grace-period request and this one, not the 5 before.
    expect((await fx.tollgate.usage(customer.id)).used).toBe(2000);
    expect(
      fx.notifier.notifications.some((n) => n.customerId === customer.id && n.type === 'reactivated'),
    ).toBe(true);
    expect(await fx.tollgate.store.getInvoice(invoiceId)).toMatchObject({
      status: 'paid',
      customerId: customer.id,
    });
  }, 60_000);

  it('trial with a card: charged when it ends; a failing card then enters dunning, past due to suspension', async () => {
    const billing = createBillingService({
      tollgate: fx.tollgate,
      gateway: createStripeGateway({ stripe: fx.stripe, testClock: fx.testClock }),
      prices: () => buildPriceIndex(fx.catalog, fx.priceIds),
      defaultTrialDays: 14,
    });
    const customer = await fx.tollgate.createCustomer({ email: 'trial-card@example.com' });
    // The card attaches fine; every charge on it fails (Stripe's 4000 0000 0000 0341).
    await billing.subscribe(customer.id, { planId: 'pro', paymentMethodId: 'pm_card_chargeCustomerFail' });
    await fx.settle();
    const trialing = await fx.customer(customer.id);
    expect(trialing).toMatchObject({ plan: 'pro', status: 'trialing', paymentFailedAt: null });
    expect(trialing.trialEnd).toBe(fx.clock.now() + 14 * DAY_MS);
    expect((await capture(customer.id)).allowed).toBe(true);

    // The trial ends and Stripe charges the card: it fails, and the account is past due, still served.
    await fx.advance(Math.ceil(((trialing.trialEnd ?? 0) - fx.clock.now()) / 1000) + 2 * 3600);
    const pastDue = await fx.customer(customer.id);
    expect(pastDue).toMatchObject({ plan: 'pro', status: 'past_due' });
    expect(pastDue.paymentFailedAt).not.toBeNull();
    expect(
      fx.notifier.notifications.some((n) => n.customerId === customer.id && n.type === 'payment_failed'),
    ).toBe(true);
    expect((await capture(customer.id)).allowed).toBe(true);

    // Past the grace period: suspended, gated requests refused.
    await fx.advance(Math.ceil(((pastDue.paymentFailedAt ?? 0) + GRACE_MS - fx.clock.now()) / 1000) + 3600);
    expect(await capture(customer.id)).toMatchObject({ allowed: false, reason: 'account_suspended' });
    expect(await checkSuspensions(fx.tollgate, fx.notifier, GRACE_MS)).toContain(customer.id);
    // The trial is spent, however it ended.
    expect(await billing.trialAvailable(customer.id)).toBe(false);
  }, 60_000);

  it('reconcile repairs a subscription whose webhooks were dropped', async () => {
    const { customer, stripeCustomerId } = await fx.newCustomer('pm_card_visa');
    fx.emulator.injectFault({
      type: 'webhook_drop',
      count: 1000,
      event_type: 'customer.subscription.created',
    });
    fx.emulator.injectFault({ type: 'webhook_drop', count: 1000, event_type: 'invoice.paid' });
    fx.emulator.injectFault({ type: 'webhook_drop', count: 1000, event_type: 'invoice.payment_succeeded' });
    const subscription = await fx.stripe.subscriptions.create({
      customer: stripeCustomerId,
      items: [{ price: proMonthly() }],
    });
    await fx.settle();
    fx.emulator.clearFaults();
    const stale = await fx.customer(customer.id);
    expect(stale.stripeSubscriptionId).toBeNull();
    expect(stale.plan).toBe('free');

    const dry = await reconcile({
      tollgate: fx.tollgate,
      stripe: fx.stripe,
      prices: () => fxPrices(fx),
      dryRun: true,
    });
    const mine = dry.changes.find(
      (change) => change.customerId === customer.id && change.kind === 'customer',
    );
    expect(mine?.fields).toMatchObject({
      plan: { from: 'free', to: 'pro' },
      stripeSubscriptionId: { to: subscription.id },
    });
    expect((await fx.customer(customer.id)).plan).toBe('free');

    const applied = await reconcile({ tollgate: fx.tollgate, stripe: fx.stripe, prices: () => fxPrices(fx) });
    expect(applied.changes.some((change) => change.customerId === customer.id)).toBe(true);
    expect(await fx.customer(customer.id)).toMatchObject({
      plan: 'pro',
      status: 'active',
      stripeSubscriptionId: subscription.id,
    });
    const again = await reconcile({ tollgate: fx.tollgate, stripe: fx.stripe, prices: () => fxPrices(fx) });
    expect(again.changes.filter((change) => change.customerId === customer.id)).toEqual([]);
    expect(fx.clock.now()).toBeGreaterThan(Date.UTC(2026, 0, 1) + DAY_MS);
  }, 60_000);
});

async function fxPrices(fx: WebhookFixture) {
  const { buildPriceIndex } = await import('../../core/billing/subscription-state.js');
  return buildPriceIndex(fx.catalog, fx.priceIds);
}
