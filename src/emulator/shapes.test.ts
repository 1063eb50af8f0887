/**
 * Shape conformance: each object the emulator returns has every field of Stripe's own example object
 * (`../shared/stripe-openapi/fixtures3.json`), with the same JSON type. A field may be null where the
 * example has a value only if the SDK's types declare a field of that name nullable (`| null`) in the
 * resource's type file, which is how the API reference documents it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from './index.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const fixturesPath = path.resolve(repoRoot, '../shared/stripe-openapi/fixtures3.json');
const sdkDir = path.join(path.dirname(createRequire(import.meta.url).resolve('stripe')), '../esm');

/** The SDK type files that describe each kind (nullable field names are read from them). */
const TYPE_FILES: Record<string, string[]> = {
  customer: ['resources/Customers.d.ts'],
  product: ['resources/Products.d.ts'],
  price: ['resources/Prices.d.ts'],
  payment_method: ['resources/PaymentMethods.d.ts'],
  subscription: [
    'resources/Subscriptions.d.ts',
    'resources/SubscriptionItems.d.ts',
    'resources/Prices.d.ts',
    'resources/Plans.d.ts',
  ],
  subscription_item: ['resources/SubscriptionItems.d.ts', 'resources/Prices.d.ts', 'resources/Plans.d.ts'],
  invoice: ['resources/Invoices.d.ts', 'resources/InvoiceLineItems.d.ts'],
  invoiceitem: ['resources/InvoiceItems.d.ts'],
  'checkout.session': ['resources/Checkout/Sessions.d.ts'],
  'billing_portal.session': ['resources/BillingPortal/Sessions.d.ts'],
  'billing.meter': ['resources/Billing/Meters.d.ts'],
  'billing.meter_event': ['resources/Billing/MeterEvents.d.ts'],
  event: ['resources/Events.d.ts'],
  webhook_endpoint: ['resources/WebhookEndpoints.d.ts'],
  'test_helpers.test_clock': ['resources/TestHelpers/TestClocks.d.ts'],
};

/** Fields whose values are free-form maps or any object, compared by type only. */
const OPAQUE = new Set(['metadata', 'payload', 'data.object', 'previous_attributes', 'status_details']);

function nullableNames(kind: string): Set<string> {
  const names = new Set<string>();
  for (const file of [...(TYPE_FILES[kind] ?? []), 'shared.d.ts']) {
    const text = readFileSync(path.join(sdkDir, file), 'utf8');
    for (const match of text.matchAll(/^\s+(\w+)\??: [^;]*\| null;$/gm)) names.add(match[1]!);
  }
  return names;
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** Differences between Stripe's example and the emulator's object, as readable paths. */
function compareShape(
  expected: unknown,
  actual: unknown,
  nullable: Set<string>,
  at: string,
  problems: string[],
): void {
  if (expected === null) return;
  const field =
    at
      .split('.')
      .at(-1)
      ?.replace(/\[0\]$/, '') ?? '';
  if (actual === null) {
    if (!nullable.has(field)) problems.push(`${at}: null, Stripe has ${jsonType(expected)}`);
    return;
  }
  if (jsonType(expected) !== jsonType(actual)) {
    problems.push(`${at}: ${jsonType(actual)}, Stripe has ${jsonType(expected)}`);
    return;
  }
  if (OPAQUE.has(field) || OPAQUE.has(at)) return;
  if (Array.isArray(expected) && Array.isArray(actual)) {
    if (expected.length > 0 && actual.length > 0)
      compareShape(expected[0], actual[0], nullable, `${at}[0]`, problems);
    return;
  }
  if (typeof expected === 'object' && typeof actual === 'object') {
    for (const [key, value] of Object.entries(expected as Record<string, unknown>)) {
      const path = at === '' ? key : `${at}.${key}`;
      if (!(key in (actual as Record<string, unknown>))) {
        problems.push(`${path}: missing`);
        continue;
      }
      compareShape(value, (actual as Record<string, unknown>)[key], nullable, path, problems);
    }
  }
}

describe('object shapes match Stripe fixtures3.json', () => {
  if (!existsSync(fixturesPath)) {
    it.skip(`skipped: ${fixturesPath} is absent`, () => {});
    return;
  }
  const resources = (JSON.parse(readFileSync(fixturesPath, 'utf8')) as { resources: Record<string, unknown> })
    .resources;
  let emulator: Emulator;
  let stripe: Stripe;
  const objects = new Map<string, unknown>();

  beforeAll(async () => {
    emulator = await startEmulator({ port: 0 });
    stripe = new Stripe(emulator.secretKey, { ...emulator.stripeConfig(), maxNetworkRetries: 0 });
    // rawRequest returns the JSON as sent (the typed methods turn decimal strings into objects).
    const raw = (method: string, url: string, params?: Record<string, unknown>) =>
      stripe.rawRequest(method, url, params) as Promise<Record<string, unknown> & { id: string }>;
    const endpoint = await raw('POST', '/v1/webhook_endpoints', {
      url: 'http://127.0.0.1:9/hook',
      enabled_events: ['*'],
    });
    objects.set('webhook_endpoint', endpoint);
    const clock = await raw('POST', '/v1/test_helpers/test_clocks', {
      frozen_time: Math.floor(Date.now() / 1000),
      name: 'shape',
    });
    objects.set('test_helpers.test_clock', clock);
    const customer = await raw('POST', '/v1/customers', {
      email: 'shape@example.com',
      name: 'Shape',
      address: { line1: '1 Main St', country: 'US' },
    });
    objects.set('customer', await raw('GET', `/v1/customers/${customer.id}`));
    const product = await raw('POST', '/v1/products', { name: 'Shape product', description: 'For shapes' });
    objects.set('product', product);
    const price = await raw('POST', '/v1/prices', {
      product: product.id,
      currency: 'usd',
      unit_amount: 2000,
      recurring: { interval: 'month' },
    });
    objects.set('price', price);
    const paymentMethod = await raw('POST', '/v1/payment_methods', {
      type: 'card',
      card: { token: 'tok_visa' },
      billing_details: { email: 'shape@example.com' },
    });
    objects.set(
      'payment_method',
      await raw('POST', `/v1/payment_methods/${paymentMethod.id}/attach`, { customer: customer.id }),
    );
    await raw('POST', `/v1/customers/${customer.id}`, {
      invoice_settings: { default_payment_method: paymentMethod.id },
    });
    const subscription = await raw('POST', '/v1/subscriptions', {
      customer: customer.id,
      items: [{ price: price.id }],
    });
    objects.set('subscription', subscription);
    const items = (subscription.items as { data: Array<{ id: string }> }).data;
    objects.set('subscription_item', await raw('GET', `/v1/subscription_items/${items[0]!.id}`));
    const invoiceItem = await raw('POST', '/v1/invoiceitems', {
      customer: customer.id,
      amount: 1000,
      currency: 'usd',
      description: 'One-off',
    });
    objects.set('invoiceitem', invoiceItem);
    const invoice = await raw('POST', '/v1/invoices', {
      customer: customer.id,
      pending_invoice_items_behavior: 'include',
    });
    objects.set('invoice', await raw('POST', `/v1/invoices/${invoice.id}/finalize`));
    const session = await raw('POST', '/v1/checkout/sessions', {
      mode: 'payment',
      line_items: [
        {
          price: (await raw('POST', '/v1/prices', { product: product.id, currency: 'usd', unit_amount: 500 }))
            .id,
          quantity: 1,
        },
      ],
      success_url: 'https://example.com/success',
      cancel_url: 'https://example.com/cancel',
    });
    objects.set('checkout.session', session);
    objects.set(
      'billing_portal.session',
      await raw('POST', '/v1/billing_portal/sessions', {
        customer: customer.id,
        return_url: 'https://example.com/account',
      }),
    );
    const meter = await raw('POST', '/v1/billing/meters', {
      display_name: 'Calls',
      event_name: 'shape_call',
      default_aggregation: { formula: 'sum' },
    });
    objects.set('billing.meter', meter);
    objects.set(
      'billing.meter_event',
      await raw('POST', '/v1/billing/meter_events', {
        event_name: 'shape_call',
        payload: { stripe_customer_id: customer.id, value: '3' },
      }),
    );
    const events = (await raw('GET', '/v1/events?type=customer.created')) as unknown as {
      data: Array<{ id: string }>;
    };
    objects.set('event', await raw('GET', `/v1/events/${events.data[0]!.id}`));
  });
  afterAll(async () => emulator?.close());

  it('the comparison itself reports missing fields, wrong types and non-nullable nulls', () => {
    const problems: string[] = [];
    compareShape(
      { a: 1, b: { c: 'x' }, d: [{ e: true }], f: 2 },
      { b: { c: 3 }, d: [{}], f: null },
      new Set(),
      '',
      problems,
    );
    expect(problems).toEqual([
      'a: missing',
      'b.c: number, Stripe has string',
      'd[0].e: missing',
      'f: null, Stripe has number',
    ]);
  });

  it.each(Object.keys(TYPE_FILES))('%s', (kind) => {
    const expected = resources[kind];
    expect(expected, `fixtures3.json has no resources["${kind}"]`).toBeDefined();
    const actual = objects.get(kind);
    expect(actual, `no ${kind} was created`).toBeDefined();
    const problems: string[] = [];
    compareShape(expected, actual, nullableNames(kind), '', problems);
    expect(problems).toEqual([]);
  });
});
