/**
 * Subscription scenarios on a test clock, asserted as the ordered webhook stream a receiver gets:
 * a trial without a card that converts, renews, and a renewal that fails through every retry.
 */
import Stripe from 'stripe';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from './index.js';
import {
  type ReceivedEvent,
  startWebhookReceiver,
  type WebhookReceiver,
} from './testing/webhook-receiver.js';

const DAY = 86_400;
const START = Math.floor(Date.UTC(2031, 0, 1, 12) / 1000);

let emulator: Emulator;
let receiver: WebhookReceiver;
let stripe: Stripe;

beforeEach(async () => {
  emulator = await startEmulator({ port: 0, webhookRetry: { initialDelayMs: 5, maxDelayMs: 20 } });
  receiver = await startWebhookReceiver(() => emulator.webhookSecret);
  stripe = new Stripe(emulator.secretKey, { ...emulator.stripeConfig(), maxNetworkRetries: 0 });
  await stripe.webhookEndpoints.create({ url: receiver.url, enabled_events: ['*'] });
});

afterEach(async () => {
  await emulator.close();
  await receiver.close();
});

/** Advances the clock and waits until Stripe reports it ready, as a client would. */
async function advance(clock: string, to: number): Promise<void> {
  await stripe.testHelpers.testClocks.advance(clock, { frozen_time: to });
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const current = await stripe.testHelpers.testClocks.retrieve(clock);
    if (current.status === 'ready') return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('test clock did not become ready');
}

async function setUp(trialDays?: number) {
  const clock = await stripe.testHelpers.testClocks.create({ frozen_time: START, name: 'scenario' });
  const customer = await stripe.customers.create({ email: 'ada@example.com', test_clock: clock.id });
  const product = await stripe.products.create({ name: 'Pro' });
  const price = await stripe.prices.create({
    product: product.id,
    unit_amount: 2000,
    currency: 'usd',
    recurring: { interval: 'month' },
  });
  return { clock: clock.id, customer: customer.id, price: price.id, trialDays };
}

/** The events of interest for one customer, in the order the receiver got them. */
async function streamFor(customer: string): Promise<string[]> {
  await emulator.settle();
  const relevant = (event: ReceivedEvent) => {
    const object = event.data.object;
    return object.customer === customer || object.id === customer;
  };
  return receiver.events.filter(relevant).map((event) => {
    const object = event.data.object;
    const status =
      typeof object.status === 'string' && event.type.startsWith('customer.subscription')
        ? `:${object.status}`
        : '';
    return `${event.type}${status}`;
  });
}

describe('subscription scenarios on a test clock', () => {
  it('converts a 14-day trial without a card, then renews a month later', async () => {
    const { clock, customer, price } = await setUp();
    const subscription = await stripe.subscriptions.create({
      customer,
      items: [{ price }],
      trial_period_days: 14,
    });
    expect(subscription.status).toBe('trialing');
    expect(subscription.trial_end).toBe(START + 14 * DAY);

    await advance(clock, START + 11 * DAY);
    const reminder = await receiver.waitFor((event) => event.type === 'customer.subscription.trial_will_end');
    expect(reminder.created).toBe(START + 11 * DAY);

    const card = await stripe.paymentMethods.attach('pm_card_visa', { customer });
    await stripe.customers.update(customer, { invoice_settings: { default_payment_method: card.id } });

    await advance(clock, START + 15 * DAY);
    const afterTrial = await stripe.subscriptions.retrieve(subscription.id, { expand: ['latest_invoice'] });
    expect(afterTrial.status).toBe('active');
    const trialInvoice = afterTrial.latest_invoice as Stripe.Invoice;
    expect(trialInvoice.status).toBe('paid');
    expect(trialInvoice.amount_paid).toBe(2000);
    expect(afterTrial.items.data[0]?.current_period_start).toBe(START + 14 * DAY);

    const renewalAt = afterTrial.items.data[0]!.current_period_end;
    await advance(clock, renewalAt + DAY);
    const renewed = await stripe.subscriptions.retrieve(subscription.id, { expand: ['latest_invoice'] });
    expect(renewed.status).toBe('active');
    expect(renewed.items.data[0]?.current_period_start).toBe(renewalAt);
    expect((renewed.latest_invoice as Stripe.Invoice).status).toBe('paid');
    expect((renewed.latest_invoice as Stripe.Invoice).billing_reason).toBe('subscription_cycle');

    expect(await streamFor(customer)).toEqual([
      'customer.created',
      // the trial's zero invoice
      'invoice.created',
      'invoice.finalized',
      'invoice.paid',
      'invoice.payment_succeeded',
      'customer.subscription.created:trialing',
      // day 11
      'customer.subscription.trial_will_end:trialing',
      'payment_method.attached',
      'customer.updated',
      // day 14: trial ends, the invoice is finalized and charged an hour later
      'invoice.created',
      'customer.subscription.updated:active',
      'payment_intent.created',
      'invoice.finalized',
      'charge.succeeded',
      'payment_intent.succeeded',
      'invoice.paid',
      'invoice.payment_succeeded',
      // a month later: renewal
      'invoice.created',
      'customer.subscription.updated:active',
      'payment_intent.created',
      'invoice.finalized',
      'charge.succeeded',
      'payment_intent.succeeded',
      'invoice.paid',
      'invoice.payment_succeeded',
    ]);
  });

  it('fails the renewal with pm_card_chargeCustomerFail, retries, goes past_due, then cancels', async () => {
    const { clock, customer, price } = await setUp();
    const visa = await stripe.paymentMethods.attach('pm_card_visa', { customer });
    await stripe.customers.update(customer, { invoice_settings: { default_payment_method: visa.id } });
    const subscription = await stripe.subscriptions.create({ customer, items: [{ price }] });
    expect(subscription.status).toBe('active');

    const failing = await stripe.paymentMethods.attach('pm_card_chargeCustomerFail', { customer });
    await stripe.customers.update(customer, { invoice_settings: { default_payment_method: failing.id } });

    const periodEnd = subscription.items.data[0]!.current_period_end;
    await advance(clock, periodEnd + 2 * 3600);
    const pastDue = await stripe.subscriptions.retrieve(subscription.id);
    expect(pastDue.status).toBe('past_due');
    const invoice = await stripe.invoices.retrieve(String(pastDue.latest_invoice));
    expect(invoice.status).toBe('open');
    expect(invoice.attempt_count).toBe(1);
    expect(invoice.next_payment_attempt).toBe(periodEnd + 3600 + 3 * DAY);

    await advance(clock, periodEnd + 8 * DAY);
    const canceled = await stripe.subscriptions.retrieve(subscription.id);
    expect(canceled.status).toBe('canceled');
    expect(canceled.cancellation_details?.reason).toBe('payment_failed');
    expect((await stripe.invoices.retrieve(invoice.id)).attempt_count).toBe(4);

    const failedAttempt = [
      'charge.failed',
      'payment_intent.payment_failed',
      'invoice.payment_failed',
      'invoice.updated',
    ];
    expect(await streamFor(customer)).toEqual([
      'customer.created',
      'payment_method.attached',
      'customer.updated',
      'invoice.created',
      'payment_intent.created',
      'invoice.finalized',
      'charge.succeeded',
      'payment_intent.succeeded',
      'invoice.paid',
      'invoice.payment_succeeded',
      'customer.subscription.created:active',
      'payment_method.attached',
      'customer.updated',
      // renewal: the charge fails and the subscription goes past_due
      'invoice.created',
      'customer.subscription.updated:active',
      'payment_intent.created',
      'invoice.finalized',
      ...failedAttempt,
      'customer.subscription.updated:past_due',
      // retries on days 3, 5 and 7 after the first failure; the last one cancels
      ...failedAttempt,
      ...failedAttempt,
      ...failedAttempt,
      'customer.subscription.deleted:canceled',
    ]);
  });
});
