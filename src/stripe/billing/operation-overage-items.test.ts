/**
 * Per-operation metered items, against the emulator (official SDK) on SQLite and PostgreSQL, with the
 * catalog pushed as `tollgate plans push` does and a test clock from a fixed date: a monthly
 * subscription to a plan that bills operations' overage carries one metered item per operation (card,
 * trial, Checkout), a plan change removes and restores them, and the renewal invoice bills each
 * operation's excess, recorded through the engine and reported by the meter sender, on its own line.
 */
import { describe, expect, it } from 'vitest';
import { type Backend, backends } from '../../../test/support/backends.js';
import type { Catalog } from '../../core/catalog/catalog.js';
import { demoCatalog } from '../../core/catalog/demo-catalog.js';
import { MeterSender } from '../metering/meter-sender.js';
import { itemsOf, type Sandbox, type Stack, useBillingStack } from './testing/billing-stack.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * The demo's pro without a credit quota, billing 20 searches and 5 captures a month and each one past
 * them (2 and 10 cents: whole minor units, which the emulator bills exactly).
 */
function operationOverageCatalog(): Catalog {
  const catalog = demoCatalog();
  const pro = catalog.plans.find((plan) => plan.id === 'pro')!;
  pro.limits = {
    ...pro.limits,
    credits: null,
    operations: {
      search: { windows: { month: 20 }, overage: { unitAmount: 2, unitQuantity: 1, capAmount: null } },
      capture: { windows: { month: 5 }, overage: { unitAmount: 10, unitQuantity: 1, capAmount: null } },
    },
  };
  pro.overage = null;
  return catalog;
}

describe.each(backends)('per-operation metered items on %s', (_name, open) => {
  let sandbox: Sandbox;
  let backend: Backend;
  let stack: Stack;

  useBillingStack(
    open,
    () => operationOverageCatalog(),
    (opened) => {
      ({ sandbox, backend, stack } = opened);
    },
  );

  const subscriptionOf = async (customerId: string) =>
    (await backend.store.getCustomer(customerId))?.stripeSubscriptionId ?? '';
  const operationItems = () => {
    const operations = stack.ids.pro!.operations!;
    // In the catalog's operation order: search, then capture.
    return ['search', 'capture'].map((operation) => ({
      price: operations[operation]!.price,
      usageType: 'metered',
      meter: operations[operation]!.meter,
    }));
  };

  it('subscribes with one metered item per operation, and a plan change removes and restores them', async () => {
    const planItem = { price: stack.ids.pro!.month, usageType: 'licensed', meter: null };
    const paying = await stack.newCustomer();
    const outcome = await stack.billing.subscribe(paying, {
      planId: 'pro',
      paymentMethodId: 'pm_card_visa',
      trial: false,
    });
    expect(outcome.customer).toMatchObject({ plan: 'pro', status: 'active' });
    const subscriptionId = await subscriptionOf(paying);
    expect(await itemsOf(sandbox.stripe, subscriptionId)).toEqual([planItem, ...operationItems()]);

    const trying = await stack.newCustomer();
    await stack.billing.subscribe(trying, { planId: 'pro' });
    expect(await itemsOf(sandbox.stripe, await subscriptionOf(trying))).toEqual([
      planItem,
      ...operationItems(),
    ]);

    const checkingOut = await stack.newCustomer();
    const session = await stack.billing.startCheckout(checkingOut, {
      planId: 'pro',
      successUrl: 'https://app.example.com/ok',
      cancelUrl: 'https://app.example.com/cancel',
    });
    const lines = await sandbox.stripe.checkout.sessions.listLineItems(session.sessionId);
    expect(lines.data.map((line) => line.price?.id)).toEqual([
      stack.ids.pro!.month,
      ...operationItems().map((item) => item.price),
    ]);

    await stack.billing.changePlan(paying, { planId: 'starter' });
    expect(await itemsOf(sandbox.stripe, subscriptionId)).toEqual([
      { price: stack.ids.starter!.month, usageType: 'licensed', meter: null },
    ]);
    await stack.billing.changePlan(paying, { planId: 'pro' });
    expect(await itemsOf(sandbox.stripe, subscriptionId)).toEqual([planItem, ...operationItems()]);
  });

  it('bills each operation’s excess on its own line of the renewal invoice, to the minor unit', async () => {
    const customerId = await stack.newCustomer();
    await stack.billing.subscribe(customerId, {
      planId: 'pro',
      paymentMethodId: 'pm_card_visa',
      trial: false,
    });
    const customer = (await backend.store.getCustomer(customerId))!;
    const periodEnd = customer.periodEnd!;

    const consume = (operation: string, quantity: number) =>
      stack.tollgate.consume(customerId, { operation, quantity, countRequest: false });
    // 27 searches (7 past 20) and 8 captures (3 past 5), over two hours.
    expect((await consume('search', 15)).allowed).toBe(true);
    expect((await consume('capture', 4)).allowed).toBe(true);
    stack.clock.advance(HOUR);
    expect((await consume('search', 12)).allowed).toBe(true);
    expect((await consume('capture', 4)).allowed).toBe(true);
    await stack.tollgate.flush();

    stack.clock.advance(2 * HOUR);
    await sandbox.stripe.testHelpers.testClocks.advance(stack.testClock, {
      frozen_time: stack.clock.now() / 1000,
    });
    await sandbox.emulator.settle();
    const sender = new MeterSender({ stripe: sandbox.stripe, store: backend.store, clock: stack.clock });
    expect(await sender.flushOnce(stack.clock.now())).toMatchObject({ sent: 2, failed: 0 });

    stack.clock.set(periodEnd + DAY);
    await sandbox.stripe.testHelpers.testClocks.advance(stack.testClock, {
      frozen_time: stack.clock.now() / 1000,
    });
    await sandbox.emulator.settle();

    const invoices = await sandbox.stripe.invoices.list({ customer: customer.stripeCustomerId!, limit: 10 });
    const renewal = invoices.data.find((invoice) => invoice.billing_reason === 'subscription_cycle');
    expect(renewal).toBeDefined();
    const lineOf = (price: string) =>
      renewal!.lines.data.filter((line) => line.pricing?.price_details?.price === price);
    const [search, capture] = operationItems();
    expect(lineOf(search!.price)).toEqual([expect.objectContaining({ quantity: 7, amount: 14 })]);
    expect(lineOf(capture!.price)).toEqual([expect.objectContaining({ quantity: 3, amount: 30 })]);
    expect(lineOf(stack.ids.pro!.month!)).toEqual([expect.objectContaining({ amount: 2900 })]);
    expect(renewal).toMatchObject({ status: 'paid', total: 2900 + 14 + 30 });
  });
});
