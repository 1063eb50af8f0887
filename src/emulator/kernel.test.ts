/**
 * The HTTP kernel as clients see it through the SDK: injected 500s and 429s that the SDK retries through,
 * idempotent replay and conflicts, pagination, expand, auth, error shape, and webhook retries.
 */
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION, type Emulator, startEmulator } from './index.js';
import { startWebhookReceiver, type WebhookReceiver } from './testing/webhook-receiver.js';

let emulator: Emulator;
let stripe: Stripe;

beforeAll(async () => {
  emulator = await startEmulator({
    port: 0,
    webhookRetry: { initialDelayMs: 5, maxDelayMs: 20, maxAttempts: 4 },
  });
  stripe = new Stripe(emulator.secretKey, { ...emulator.stripeConfig(), maxNetworkRetries: 0 });
});
afterAll(async () => emulator.close());

async function control(path: string, body?: unknown, method = 'POST'): Promise<unknown> {
  const response = await fetch(`${emulator.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return response.json();
}

describe('emulator kernel', () => {
  it('speaks the API version of the installed SDK', () => {
    expect(API_VERSION).toBe(Stripe.API_VERSION);
  });

  it('answers the next N requests with 500 and the SDK retries through them', async () => {
    await control('/_emulator/faults', { type: '500', count: 2, path_prefix: '/v1/customers' });
    const retrying = new Stripe(emulator.secretKey, { ...emulator.stripeConfig(), maxNetworkRetries: 3 });
    const customer = await retrying.customers.create({ email: 'retry@example.com' });
    expect(customer.email).toBe('retry@example.com');
    // The retries carried the SDK's idempotency key, so exactly one customer was created.
    const found = await stripe.customers.list({ email: 'retry@example.com' });
    expect(found.data).toHaveLength(1);
  });

  it('fails without retries when the client does not retry', async () => {
    await control('/_emulator/faults', { type: '500', count: 1 });
    await expect(stripe.products.list()).rejects.toMatchObject({ type: 'StripeAPIError', statusCode: 500 });
  });

  it('answers 429 with Stripe-Should-Retry, which the SDK honours', async () => {
    await control('/_emulator/faults', { type: '429', count: 1, path_prefix: '/v1/products' });
    const raw = await fetch(`${emulator.url}/v1/products`, {
      headers: { authorization: `Bearer ${emulator.secretKey}` },
    });
    expect(raw.status).toBe(429);
    expect(raw.headers.get('stripe-should-retry')).toBe('true');
    expect(raw.headers.get('request-id')).toMatch(/^req_/);
    await control('/_emulator/faults', { type: '429', count: 1, path_prefix: '/v1/products' });
    const retrying = new Stripe(emulator.secretKey, { ...emulator.stripeConfig(), maxNetworkRetries: 2 });
    await expect(retrying.products.list()).resolves.toMatchObject({ object: 'list' });
    await control('/_emulator/faults', { type: '429', count: 1, path_prefix: '/v1/products' });
    await expect(stripe.products.list()).rejects.toMatchObject({
      type: 'StripeRateLimitError',
      statusCode: 429,
    });
  });

  it('applies rate-based faults deterministically from the seed', async () => {
    const outcomes = async () => {
      await control('/_emulator/faults', undefined, 'DELETE');
      await control('/_emulator/faults', { type: '500', rate: 0.5, seed: 7, path_prefix: '/v1/prices' });
      const results: number[] = [];
      for (let index = 0; index < 12; index += 1) {
        const response = await fetch(`${emulator.url}/v1/prices`, {
          headers: { authorization: `Bearer ${emulator.secretKey}` },
        });
        results.push(response.status);
      }
      await control('/_emulator/faults', undefined, 'DELETE');
      return results;
    };
    const first = await outcomes();
    expect(first).toContain(500);
    expect(first).toContain(200);
    expect(await outcomes()).toEqual(first);
  });

  it('delays answers on request', async () => {
    await control('/_emulator/faults', { type: 'delay', delay_ms: 150, count: 1 });
    const started = Date.now();
    await stripe.customers.list({ limit: 1 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('replays an idempotent request and rejects the key with other parameters', async () => {
    const first = await stripe.customers.create({ email: 'idem@example.com' }, { idempotencyKey: 'key-1' });
    const again = await stripe.customers.create({ email: 'idem@example.com' }, { idempotencyKey: 'key-1' });
    expect(again.id).toBe(first.id);
    expect(again.lastResponse.headers['idempotent-replayed']).toBe('true');
    await expect(
      stripe.customers.create({ email: 'other@example.com' }, { idempotencyKey: 'key-1' }),
    ).rejects.toMatchObject({
      type: 'StripeIdempotencyError',
      statusCode: 400,
    });
  });

  it('paginates newest first with starting_after, ending_before and has_more', async () => {
    const product = await stripe.products.create({ name: 'paging' });
    const created: string[] = [];
    for (let index = 0; index < 5; index += 1) {
      created.push(
        (await stripe.prices.create({ product: product.id, currency: 'usd', unit_amount: 100 + index })).id,
      );
    }
    const newest = [...created].reverse();
    const page1 = await stripe.prices.list({ product: product.id, limit: 2 });
    expect(page1.data.map((price) => price.id)).toEqual(newest.slice(0, 2));
    expect(page1.has_more).toBe(true);
    const page2 = await stripe.prices.list({
      product: product.id,
      limit: 2,
      starting_after: page1.data[1]!.id,
    });
    expect(page2.data.map((price) => price.id)).toEqual(newest.slice(2, 4));
    const page3 = await stripe.prices.list({
      product: product.id,
      limit: 2,
      starting_after: page2.data[1]!.id,
    });
    expect(page3.data.map((price) => price.id)).toEqual(newest.slice(4));
    expect(page3.has_more).toBe(false);
    const back = await stripe.prices.list({
      product: product.id,
      limit: 2,
      ending_before: page3.data[0]!.id,
    });
    expect(back.data.map((price) => price.id)).toEqual(newest.slice(2, 4));
    const all: string[] = [];
    for await (const price of stripe.prices.list({ product: product.id, limit: 2 })) all.push(price.id);
    expect(all).toEqual(newest);
  });

  it('expands nested references, including latest_invoice.payment_intent', async () => {
    const customer = await stripe.customers.create({
      payment_method: 'pm_card_visa',
      invoice_settings: { default_payment_method: 'pm_card_visa' },
    });
    const price = await stripe.prices.create({
      product_data: { name: 'expand' },
      currency: 'usd',
      unit_amount: 900,
      recurring: { interval: 'month' },
    });
    const subscription = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
      expand: ['latest_invoice.payment_intent', 'customer', 'latest_invoice.payments'],
    });
    const invoice = subscription.latest_invoice as Stripe.Invoice & { payment_intent: Stripe.PaymentIntent };
    expect(invoice.object).toBe('invoice');
    expect(invoice.payment_intent.status).toBe('succeeded');
    expect((subscription.customer as Stripe.Customer).id).toBe(customer.id);
    expect(invoice.payments?.data[0]?.payment.payment_intent).toBe(invoice.payment_intent.id);
    const list = await stripe.subscriptions.list({
      customer: customer.id,
      expand: ['data.default_payment_method'],
    });
    expect(list.data).toHaveLength(1);
    await expect(stripe.customers.retrieve(customer.id, { expand: ['nonsense'] })).rejects.toMatchObject({
      statusCode: 400,
    });
  });

  it('rejects missing keys with 401 and unknown objects with Stripe error objects', async () => {
    const response = await fetch(`${emulator.url}/v1/customers`);
    expect(response.status).toBe(401);
    const body = (await response.json()) as { error: { type: string } };
    expect(body.error.type).toBe('invalid_request_error');
    await expect(stripe.customers.retrieve('cus_missing')).rejects.toMatchObject({
      statusCode: 404,
      code: 'resource_missing',
      raw: { type: 'invalid_request_error', param: 'id' },
    });
    await expect(
      stripe.paymentIntents.create({
        amount: 500,
        currency: 'usd',
        payment_method: 'pm_card_visa_chargeDeclinedInsufficientFunds',
        confirm: true,
      }),
    ).rejects.toMatchObject({
      statusCode: 402,
      type: 'StripeCardError',
      decline_code: 'insufficient_funds',
    });
    const customer = await stripe.customers.create({});
    await expect(
      stripe.paymentMethods.attach('pm_card_visa_chargeDeclined', { customer: customer.id }),
    ).rejects.toMatchObject({
      type: 'StripeCardError',
      code: 'card_declined',
    });
  });

  it('prorates a mid-period plan change into invoice items', async () => {
    const clock = await stripe.testHelpers.testClocks.create({
      frozen_time: Math.floor(Date.UTC(2032, 0, 1) / 1000),
    });
    const customer = await stripe.customers.create({
      test_clock: clock.id,
      payment_method: 'pm_card_visa',
      invoice_settings: { default_payment_method: 'pm_card_visa' },
    });
    const product = await stripe.products.create({ name: 'Tiered' });
    const basic = await stripe.prices.create({
      product: product.id,
      currency: 'usd',
      unit_amount: 3100,
      recurring: { interval: 'month' },
    });
    const pro = await stripe.prices.create({
      product: product.id,
      currency: 'usd',
      unit_amount: 6200,
      recurring: { interval: 'month' },
    });
    const subscription = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: basic.id }],
    });
    await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: clock.frozen_time + 15 * 86_400 });
    await emulator.settle();
    const item = subscription.items.data[0]!;
    const updated = await stripe.subscriptions.update(subscription.id, {
      items: [{ id: item.id, price: pro.id }],
      proration_behavior: 'create_prorations',
    });
    expect(updated.items.data[0]?.price.id).toBe(pro.id);
    const pending = await stripe.invoiceItems.list({ customer: customer.id, pending: true });
    const amounts = pending.data.map((entry) => entry.amount).sort((a, b) => a - b);
    // January has 31 days; 16 remain: -3100*16/31 and +6200*16/31.
    expect(amounts).toEqual([-1600, 3200]);
    expect(pending.data.every((entry) => entry.proration)).toBe(true);
    const now = await stripe.subscriptions.update(subscription.id, {
      items: [{ id: item.id, price: basic.id }],
      proration_behavior: 'always_invoice',
    });
    const invoice = await stripe.invoices.retrieve(String(now.latest_invoice));
    expect(invoice.billing_reason).toBe('subscription_update');
    expect(invoice.lines.data.length).toBe(4);
  });

  it('retries failed webhook deliveries with backoff until the endpoint accepts', async () => {
    const receiver: WebhookReceiver = await startWebhookReceiver(() => emulator.webhookSecret);
    try {
      const endpoint = emulator.addWebhookEndpoint({ url: receiver.url, enabledEvents: ['product.created'] });
      receiver.failNext(2);
      const product = await stripe.products.create({ name: 'webhook retry' });
      const event = await receiver.waitFor((received) => received.data.object.id === product.id);
      expect(event.type).toBe('product.created');
      await emulator.settle();
      const attempts = emulator
        .deliveries()
        .filter((record) => record.endpoint === endpoint.id && record.event === event.id);
      expect(attempts.map((record) => record.status)).toEqual([500, 500, 200]);
      const listed = await stripe.events.retrieve(event.id);
      expect(listed.pending_webhooks).toBe(0);
    } finally {
      await receiver.close();
    }
  });

  it('drops, duplicates and reorders deliveries on request', async () => {
    const receiver = await startWebhookReceiver(() => emulator.webhookSecret);
    try {
      emulator.addWebhookEndpoint({ url: receiver.url, enabledEvents: ['customer.created'] });
      await control('/_emulator/faults', { type: 'webhook_drop', count: 1, event_type: 'customer.created' });
      const dropped = await stripe.customers.create({ name: 'dropped' });
      await control('/_emulator/faults', {
        type: 'webhook_duplicate',
        count: 1,
        event_type: 'customer.created',
      });
      const doubled = await stripe.customers.create({ name: 'doubled' });
      await control('/_emulator/faults', {
        type: 'webhook_reorder',
        count: 1,
        event_type: 'customer.created',
      });
      const late = await stripe.customers.create({ name: 'late' });
      const early = await stripe.customers.create({ name: 'early' });
      await receiver.waitFor((event) => event.data.object.id === late.id);
      await emulator.settle();
      const ids = receiver.events.map((event) => event.data.object.id);
      expect(ids).not.toContain(dropped.id);
      expect(ids.filter((id) => id === doubled.id)).toHaveLength(2);
      expect(ids.indexOf(early.id)).toBeLessThan(ids.indexOf(late.id));
    } finally {
      await receiver.close();
    }
  });

  it('accepts meter events once per identifier within the 35-day window and summarizes them', async () => {
    const meter = await stripe.billing.meters.create({
      display_name: 'API calls',
      event_name: 'api_call',
      default_aggregation: { formula: 'sum' },
    });
    const customer = await stripe.customers.create({});
    const now = Math.floor(Date.now() / 1000);
    await stripe.billing.meterEvents.create({
      event_name: 'api_call',
      payload: { stripe_customer_id: customer.id, value: '5' },
      identifier: 'call-1',
      timestamp: now - 10,
    });
    await expect(
      stripe.billing.meterEvents.create({
        event_name: 'api_call',
        payload: { stripe_customer_id: customer.id, value: '5' },
        identifier: 'call-1',
      }),
    ).rejects.toMatchObject({ statusCode: 400 });
    await expect(
      stripe.billing.meterEvents.create({
        event_name: 'api_call',
        payload: { stripe_customer_id: customer.id, value: '5' },
        timestamp: now - 36 * 86_400,
      }),
    ).rejects.toMatchObject({ statusCode: 400 });
    await stripe.v2.billing.meterEvents.create({
      event_name: 'api_call',
      payload: { stripe_customer_id: customer.id, value: '7' },
    });
    const session = (await (
      await fetch(`${emulator.url}/v2/billing/meter_event_session`, {
        method: 'POST',
        headers: { authorization: `Bearer ${emulator.secretKey}` },
      })
    ).json()) as { authentication_token: string };
    const streamed = await fetch(`${emulator.url}/v2/billing/meter_event_stream`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${session.authentication_token}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        events: [{ event_name: 'api_call', payload: { stripe_customer_id: customer.id, value: '3' } }],
      }),
    });
    expect(streamed.status).toBe(202);
    const summaries = await stripe.billing.meters.listEventSummaries(meter.id, {
      customer: customer.id,
      start_time: now - 3600,
      end_time: now + 3600,
    });
    expect(summaries.data[0]?.aggregated_value).toBe(15);
  });
});
