/**
 * The metered overage item, against the Stripe emulator through the official SDK, on SQLite and
 * PostgreSQL, with the catalog pushed as `tollgate plans push` does and the overage price looked up
 * from the ids it recorded: a monthly subscription to `pro` (the demo catalog's plan with overage)
 * carries the metered price beside the plan price, whichever way it starts (trial, card, Checkout);
 * a change to a plan without overage removes it and a change back adds it; yearly subscriptions carry
 * none. Then the whole path: overage recorded through the engine, reported by the meter sender, and
 * invoiced by Stripe at the renewal, to the minor unit.
 */
import { describe, expect, it } from 'vitest';
import { type Backend, backends } from '../../../test/support/backends.js';
import type { Catalog } from '../../core/catalog/catalog.js';
import { demoCatalog } from '../../core/catalog/demo-catalog.js';
import { MeterSender } from '../metering/meter-sender.js';
import { itemsOf, type Sandbox, type Stack, useBillingStack } from './testing/billing-stack.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe.each(backends)('the metered overage item on %s', (_name, open) => {
  let sandbox: Sandbox;
  let backend: Backend;
  let stack: Stack;

  useBillingStack(
    open,
    () => demoCatalog(),
    (opened) => {
      ({ sandbox, backend, stack } = opened);
    },
  );

  const subscriptionOf = async (customerId: string) =>
    (await backend.store.getCustomer(customerId))?.stripeSubscriptionId ?? '';

  it('subscribes to pro with the plan price and the metered price on the overage meter', async () => {
    const pro = stack.ids.pro!;
    expect(pro.overage).toMatch(/^price_/);
    const planItem = { price: pro.month, usageType: 'licensed', meter: null };
    const meteredItem = { price: pro.overage, usageType: 'metered', meter: pro.meter };

    // With a card.
    const paying = await stack.newCustomer();
    const outcome = await stack.billing.subscribe(paying, {
      planId: 'pro',
      paymentMethodId: 'pm_card_visa',
      trial: false,
    });
    // The customer is on pro, read from the plan item (not the metered one).
    expect(outcome.customer).toMatchObject({ plan: 'pro', status: 'active', billingInterval: 'month' });
    expect(await itemsOf(sandbox.stripe, await subscriptionOf(paying))).toEqual([planItem, meteredItem]);

    // A trial without a card.
    const trying = await stack.newCustomer();
    await stack.billing.subscribe(trying, { planId: 'pro' });
    expect((await backend.store.getCustomer(trying))?.status).toBe('trialing');
    expect(await itemsOf(sandbox.stripe, await subscriptionOf(trying))).toEqual([planItem, meteredItem]);

    // Through Checkout: the metered price is a second line item, and on the subscription it makes.
    const checkingOut = await stack.newCustomer();
    const session = await stack.billing.startCheckout(checkingOut, {
      planId: 'pro',
      successUrl: 'https://app.example.com/ok',
      cancelUrl: 'https://app.example.com/cancel',
    });
    const lines = await sandbox.stripe.checkout.sessions.listLineItems(session.sessionId);
    expect(lines.data.map((line) => line.price?.id)).toEqual([pro.month, pro.overage]);
    const confirmed = await fetch(`${sandbox.emulator.url}/v1/payment_pages/${session.sessionId}/confirm`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${sandbox.emulator.secretKey}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ payment_method: 'pm_card_visa' }).toString(),
    });
    expect(confirmed.status, await confirmed.clone().text()).toBe(200);
    const afterCheckout = await stack.billing.refresh(checkingOut);
    expect(afterCheckout).toMatchObject({ plan: 'pro', billingInterval: 'month' });
    expect(await itemsOf(sandbox.stripe, afterCheckout.stripeSubscriptionId ?? '')).toEqual([
      planItem,
      meteredItem,
    ]);

    // Plans without overage get the plan price alone.
    const starter = await stack.newCustomer();
    await stack.billing.subscribe(starter, {
      planId: 'starter',
      paymentMethodId: 'pm_card_visa',
      trial: false,
    });
    expect(await itemsOf(sandbox.stripe, await subscriptionOf(starter))).toEqual([
      { price: stack.ids.starter!.month, usageType: 'licensed', meter: null },
    ]);
  });

  it('removes the metered item on a downgrade to a plan without overage, and adds it back on an upgrade', async () => {
    const customerId = await stack.newCustomer();
    await stack.billing.subscribe(customerId, {
      planId: 'pro',
      paymentMethodId: 'pm_card_visa',
      trial: false,
    });
    const subscriptionId = await subscriptionOf(customerId);

    const down = await stack.billing.changePlan(customerId, { planId: 'starter' });
    expect(down.customer).toMatchObject({ plan: 'starter', stripeSubscriptionId: subscriptionId });
    expect(await itemsOf(sandbox.stripe, subscriptionId)).toEqual([
      { price: stack.ids.starter!.month, usageType: 'licensed', meter: null },
    ]);

    const up = await stack.billing.changePlan(customerId, { planId: 'pro' });
    expect(up.customer).toMatchObject({ plan: 'pro', stripeSubscriptionId: subscriptionId });
    expect(await itemsOf(sandbox.stripe, subscriptionId)).toEqual([
      { price: stack.ids.pro!.month, usageType: 'licensed', meter: null },
      { price: stack.ids.pro!.overage, usageType: 'metered', meter: stack.ids.pro!.meter },
    ]);

    // An upgrade to a plan without overage (enterprise) drops it too, in the same update.
    const enterprise = await stack.billing.changePlan(customerId, { planId: 'enterprise' });
    expect(enterprise.customer.plan).toBe('enterprise');
    expect(await itemsOf(sandbox.stripe, subscriptionId)).toEqual([
      { price: stack.ids.enterprise!.month, usageType: 'licensed', meter: null },
    ]);
  });

  it('sells pro yearly without the metered item (its price is monthly; Stripe wants one interval)', async () => {
    const customerId = await stack.newCustomer();
    const outcome = await stack.billing.subscribe(customerId, {
      planId: 'pro',
      interval: 'year',
      paymentMethodId: 'pm_card_visa',
    });
    expect(outcome.customer).toMatchObject({ plan: 'pro', billingInterval: 'year' });
    expect(await itemsOf(sandbox.stripe, await subscriptionOf(customerId))).toEqual([
      { price: stack.ids.pro!.year, usageType: 'licensed', meter: null },
    ]);
  });
});

/**
 * The demo's pro with a 10-credit quota, and overage priced at a whole minor unit per milli-credit
 * ($10 per credit): the emulator keeps a price's `unit_amount_decimal` only to the minor unit
 * (`parseInt`), so the demo's $0.10 per 1,000 credits (0.00001 cents per milli-credit) would bill 0
 * there, although Stripe bills it. This price is exact on both.
 */
function wholeCentCatalog(): Catalog {
  const catalog = demoCatalog();
  const pro = catalog.plans.find((plan) => plan.id === 'pro')!;
  pro.limits = { ...pro.limits, credits: 10_000 };
  pro.overage = { unitAmount: 1000, unitCredits: 1, capAmount: null };
  return catalog;
}

describe.each(backends)('overage invoiced at the renewal on %s', (_name, open) => {
  let sandbox: Sandbox;
  let backend: Backend;
  let stack: Stack;

  useBillingStack(open, wholeCentCatalog, (opened) => {
    ({ sandbox, backend, stack } = opened);
  });

  it('bills the overage recorded through the engine and sent by the meter sender, to the minor unit', async () => {
    const customerId = await stack.newCustomer();
    await stack.billing.subscribe(customerId, {
      planId: 'pro',
      paymentMethodId: 'pm_card_visa',
      trial: false,
    });
    const customer = (await backend.store.getCustomer(customerId))!;
    const periodEnd = customer.periodEnd!;
    expect(periodEnd).toBe(Date.UTC(2026, 1, 15, 12));

    // The quota (10 credits) and 7.3 credits past it, in two hours of the period.
    const consume = (operation: string, quantity: number) =>
      stack.tollgate.consume(customerId, { operation, quantity, countRequest: false });
    expect((await consume('capture', 10)).allowed).toBe(true);
    stack.clock.advance(30 * 60_000);
    expect((await consume('capture', 5)).allowed).toBe(true);
    stack.clock.advance(HOUR);
    expect((await consume('search', 23)).allowed).toBe(true); // 2.3 credits
    await stack.tollgate.flush();

    const windows = await backend.store.listMeterWindows({ customerId, limit: 10 });
    const overage = windows.reduce((sum, window) => sum + window.value, 0);
    expect(overage).toBe(7_300); // milli-credits
    const plan = sandbox.catalog.plans.find((candidate) => candidate.id === 'pro')!;
    // Price per milli-credit x milli-credits, in integers: 1000 / (1 x 1000) = 1 cent each.
    const expectedAmount = (overage * plan.overage!.unitAmount) / (plan.overage!.unitCredits * 1000);
    expect(expectedAmount).toBe(7_300);

    // The windows are closed; the sender reports them. Stripe takes a test-clock customer's meter
    // events up to 5 minutes past the clock's time, so the test clock moves with the engine's.
    stack.clock.advance(2 * HOUR);
    await sandbox.stripe.testHelpers.testClocks.advance(stack.testClock, {
      frozen_time: stack.clock.now() / 1000,
    });
    await sandbox.emulator.settle();
    const sender = new MeterSender({ stripe: sandbox.stripe, store: backend.store, clock: stack.clock });
    const pass = await sender.flushOnce(stack.clock.now());
    expect(pass).toMatchObject({ sent: windows.length, failed: 0 });

    // Past the renewal, and the hour its invoice stays a draft.
    stack.clock.set(periodEnd + DAY);
    await sandbox.stripe.testHelpers.testClocks.advance(stack.testClock, {
      frozen_time: stack.clock.now() / 1000,
    });
    await sandbox.emulator.settle();

    const invoices = await sandbox.stripe.invoices.list({ customer: customer.stripeCustomerId!, limit: 10 });
    const renewal = invoices.data.find((invoice) => invoice.billing_reason === 'subscription_cycle');
    expect(renewal).toBeDefined();
    const lines = renewal!.lines.data;
    const overageLine = lines.find((line) => line.pricing?.price_details?.price === stack.ids.pro!.overage);
    expect(overageLine).toMatchObject({ quantity: overage, amount: expectedAmount });
    // The usage period: the subscription's first month, in arrears.
    expect(overageLine?.period).toEqual({
      start: Date.UTC(2026, 0, 15, 12) / 1000,
      end: periodEnd / 1000,
    });
    const planLine = lines.find((line) => line.pricing?.price_details?.price === stack.ids.pro!.month);
    expect(planLine?.amount).toBe(2900);
    expect(renewal).toMatchObject({ status: 'paid', total: 2900 + expectedAmount });
  });
});
