/**
 * `POST /v1/invoices/create_preview` through the official SDK: the previewed amount of a plan change
 * is the amount the same update then invoices, the preview leaves no trace (no invoice, item, event or
 * webhook), and the next invoice is previewed when nothing is invoiced at once.
 */
import Stripe from 'stripe';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../index.js';

const DAY = 86_400;
// Mid-January 2031 (31 days): proration fractions that are not round.
const START = Math.floor(Date.UTC(2031, 0, 2, 10) / 1000);

let emulator: Emulator;
let stripe: Stripe;

beforeEach(async () => {
  emulator = await startEmulator({ port: 0 });
  stripe = new Stripe(emulator.secretKey, { ...emulator.stripeConfig(), maxNetworkRetries: 0 });
});

afterEach(async () => {
  await emulator.close();
});

async function subscribed(days: number) {
  const clock = await stripe.testHelpers.testClocks.create({ frozen_time: START });
  const customer = await stripe.customers.create({
    test_clock: clock.id,
    payment_method: 'pm_card_visa',
    invoice_settings: { default_payment_method: 'pm_card_visa' },
  });
  const product = await stripe.products.create({ name: 'Plans' });
  const price = (unit_amount: number, interval: 'month' | 'year' = 'month') =>
    stripe.prices.create({ product: product.id, currency: 'usd', unit_amount, recurring: { interval } });
  const [starter, pro, proYearly] = await Promise.all([price(2900), price(49900), price(499000, 'year')]);
  const subscription = await stripe.subscriptions.create({
    customer: customer.id,
    items: [{ price: starter.id }],
  });
  await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: START + days * DAY + 3_333 });
  await emulator.settle();
  const item = subscription.items.data[0]!;
  return { customer: customer.id, subscription: subscription.id, item: item.id, pro, proYearly };
}

async function counts(customer: string) {
  const [invoices, items, events] = await Promise.all([
    stripe.invoices.list({ customer, limit: 100 }),
    stripe.invoiceItems.list({ customer, limit: 100 }),
    stripe.events.list({ limit: 100 }),
  ]);
  return { invoices: invoices.data.length, items: items.data.length, events: events.data.length };
}

/** Stripe marks a proration on the line's parent: an invoice item's or a subscription item's. */
function isProration(line: Stripe.InvoiceLineItem): boolean {
  const parent = line.parent;
  return (parent?.invoice_item_details?.proration ?? parent?.subscription_item_details?.proration) === true;
}

describe('invoice preview of a subscription update', () => {
  it('previews an always_invoice upgrade at exactly the amount the update then charges, leaving no trace', async () => {
    const { customer, subscription, item, pro } = await subscribed(9);
    const before = await counts(customer);
    const deliveriesBefore = emulator.deliveries().length;

    const preview = await stripe.invoices.createPreview({
      customer,
      subscription,
      subscription_details: {
        items: [{ id: item, price: pro.id }],
        proration_behavior: 'always_invoice',
      },
    });
    expect(preview.id?.startsWith('upcoming_in_')).toBe(true);
    expect(preview.status).toBe('draft');
    expect(preview.billing_reason).toBe('subscription_update');
    expect(preview.amount_due).toBeGreaterThan(0);
    expect(preview.lines.data.map((line) => line.amount).reduce((a, b) => a + b, 0)).toBe(preview.amount_due);
    expect(preview.lines.data.every(isProration)).toBe(true);
    expect(await counts(customer)).toEqual(before);
    expect(emulator.deliveries().length).toBe(deliveriesBefore);
    expect((await stripe.subscriptions.retrieve(subscription)).items.data[0]?.price.id).not.toBe(pro.id);

    const updated = await stripe.subscriptions.update(subscription, {
      items: [{ id: item, price: pro.id }],
      proration_behavior: 'always_invoice',
    });
    const charged = await stripe.invoices.retrieve(String(updated.latest_invoice));
    expect(charged.status).toBe('paid');
    expect(charged.amount_paid).toBe(preview.amount_due);
    expect(charged.lines.data.map((line) => line.amount).sort()).toEqual(
      preview.lines.data.map((line) => line.amount).sort(),
    );
  });

  it("charges the previewed amount later too when the update passes the preview's proration_date", async () => {
    const { customer, subscription, item, pro } = await subscribed(9);
    const clockId = (await stripe.customers.retrieve(customer)) as Stripe.Customer;
    const clock = await stripe.testHelpers.testClocks.retrieve(String(clockId.test_clock));
    const prorationDate = clock.frozen_time;
    const preview = await stripe.invoices.createPreview({
      subscription,
      subscription_details: {
        items: [{ id: item, price: pro.id }],
        proration_behavior: 'always_invoice',
        proration_date: prorationDate,
      },
    });
    // Five hours later the remaining time is shorter, but the update prorates as of the preview.
    await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: prorationDate + 5 * 3600 });
    await emulator.settle();
    const updated = await stripe.subscriptions.update(subscription, {
      items: [{ id: item, price: pro.id }],
      proration_behavior: 'always_invoice',
      proration_date: prorationDate,
    });
    const charged = await stripe.invoices.retrieve(String(updated.latest_invoice));
    expect(charged.amount_paid).toBe(preview.amount_due);
  });

  it('previews an interval change as the new cycle invoiced now, as the update does', async () => {
    const { customer, subscription, item, proYearly } = await subscribed(20);
    const preview = await stripe.invoices.createPreview({
      customer,
      subscription,
      subscription_details: {
        items: [{ id: item, price: proYearly.id }],
        proration_behavior: 'always_invoice',
      },
    });
    const updated = await stripe.subscriptions.update(subscription, {
      items: [{ id: item, price: proYearly.id }],
      proration_behavior: 'always_invoice',
    });
    const charged = await stripe.invoices.retrieve(String(updated.latest_invoice));
    expect(charged.amount_paid).toBe(preview.amount_due);
    expect(preview.amount_due).toBeGreaterThan(499000 - 2900);
  });

  it('previews the next invoice, with the prorations on it, when nothing is invoiced at once', async () => {
    const { subscription, item, pro } = await subscribed(9);
    const preview = await stripe.invoices.createPreview({
      subscription,
      subscription_details: { items: [{ id: item, price: pro.id }], proration_behavior: 'create_prorations' },
    });
    expect(preview.billing_reason).toBe('upcoming');
    const prorations = preview.lines.data.filter(isProration);
    expect(prorations).toHaveLength(2);
    const renewal = preview.lines.data.filter((line) => !isProration(line));
    expect(renewal.map((line) => line.amount)).toEqual([49900]);
  });

  it('refuses a proration_date outside the period and a preview without a subscription', async () => {
    const { customer, subscription, item, pro } = await subscribed(9);
    await expect(
      stripe.invoices.createPreview({
        subscription,
        subscription_details: {
          items: [{ id: item, price: pro.id }],
          proration_behavior: 'always_invoice',
          proration_date: START - DAY,
        },
      }),
    ).rejects.toMatchObject({ statusCode: 400, param: 'subscription_details[proration_date]' });
    await expect(stripe.invoices.createPreview({ customer })).rejects.toMatchObject({
      statusCode: 400,
      param: 'subscription',
    });
  });
});
