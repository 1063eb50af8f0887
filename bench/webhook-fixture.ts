/**
 * Real-shaped Stripe webhook deliveries for the webhook block, prepared in the parent process:
 *
 * 1. A Stripe emulator in this process (`startEmulator`, its clock an hour behind) gets the demo
 *    catalog's prices and `customers` Stripe customers, each with a card and a `pro` monthly
 *    subscription (so each has its real subscription, invoice and events).
 * 2. The Tollgate store gets the matching customers, linked to their Stripe customer ids, and the
 *    emulator's own `customer.subscription.created` events are applied through a webhook inbox, as
 *    a deployment would have: every customer is on `pro`, active, with its subscription id, and the
 *    subscription's applied version is the hour-old event.
 * 3. The deliveries: per customer, `rounds` events alternating `customer.subscription.updated` (the
 *    emulator's subscription with `cancel_at_period_end` switched on, then off: each changes the
 *    customer) and `invoice.paid` (the emulator's paid invoice as the next period's, under a new
 *    invoice id), each event `created` one second after the customer's previous one, signed with
 *    the emulator's webhook secret by the SDK (`stripe.webhooks.generateTestHeaderString`).
 *
 * Connection j of the load sends the events of customers j, j + connections, ... in their order, so
 * every event of a subscription arrives after the previous one was applied: each is newer than the
 * applied version, and the inbox applies it as sent (no re-read from Stripe, which only happens on
 * a tie of `created`). After every `duplicateEvery` new events the connection sends one already
 * processed again (a Stripe retry), answered 200 as a duplicate.
 */
import { randomBytes } from 'node:crypto';
import type Stripe from 'stripe';
import { buildPriceIndex } from '../src/core/billing/subscription-state.js';
import { demoCatalog } from '../src/core/catalog/demo-catalog.js';
import { createTollgate } from '../src/core/tollgate.js';
import { createMemoryCounters } from '../src/counters/memory-counters.js';
import { type Emulator, startEmulator } from '../src/emulator/index.js';
import { type CatalogPriceIds, ensureCatalogPrices } from '../src/stripe/gateway/ensure-catalog-prices.js';
import { createStripeClient } from '../src/stripe/stripe-client.js';
import { TOLLGATE_CUSTOMER_KEY } from '../src/stripe/webhooks/webhook-context.js';
import { createWebhookInbox } from '../src/stripe/webhooks/webhook-inbox.js';
import { benchCustomerId } from './bench-customers.js';
import type { NextRequest } from './load.js';
import type { StripeSpec } from './service-apps.js';
import { openStore, type StoreSpec } from './store-spec.js';

export const WEBHOOK_PATH = '/api/v1/webhooks/stripe';

export interface WebhookFixtureOptions {
  customers: number;
  /** Distinct events per customer. */
  rounds: number;
  connections: number;
  /** One duplicate delivery after this many new events on a connection. */
  duplicateEvery: number;
  now: number;
}

interface Delivery {
  body: string;
  signature: string;
}

export interface WebhookFixture {
  stripe: StripeSpec;
  /** Distinct events prepared, and deliveries (duplicates included). */
  events: number;
  deliveries: number;
  /** The next delivery of a connection, continuing across runs. */
  nextRequest(connection: number): NextRequest;
  /** Connections that ran out of prepared deliveries and started over (sending duplicates only). */
  wrappedConnections(): number;
  close(): Promise<void>;
}

type StripeEventJson = Stripe.Event & { data: { object: Record<string, unknown> } };

/** Creates the Stripe side, fills `storeSpec` (migrated here) and signs the deliveries. */
export async function prepareWebhookFixture(
  storeSpec: StoreSpec,
  options: WebhookFixtureOptions,
): Promise<WebhookFixture> {
  const catalog = demoCatalog();
  const nowSeconds = Math.floor(options.now / 1000);
  // An hour behind, so the subscriptions' own events predate every event the bench sends.
  const emulator: Emulator = await startEmulator({
    port: 0,
    tickIntervalMs: 0,
    now: () => Math.floor(Date.now() / 1000) - 3600,
  });
  try {
    const stripe = createStripeClient({ secretKey: emulator.secretKey, apiBase: emulator.url });
    const priceIds = await ensureCatalogPrices(stripe, catalog);
    const proMonthly = priceIds.pro?.month;
    if (!proMonthly) throw new Error('the demo catalog has no pro monthly price');

    const store = openStore(storeSpec);
    await store.migrate();
    const stripeCustomerIds: string[] = [];
    const chunk = 50;
    for (let start = 0; start < options.customers; start += chunk) {
      const indexes = Array.from({ length: Math.min(chunk, options.customers - start) }, (_, i) => start + i);
      await Promise.all(
        indexes.map(async (index) => {
          const id = benchCustomerId(index);
          await store.createCustomer({ id, plan: catalog.defaultPlan, createdAt: options.now });
          const customer = await stripe.customers.create({
            email: `bench${index}@example.com`,
            payment_method: 'pm_card_visa',
            invoice_settings: { default_payment_method: 'pm_card_visa' },
            metadata: { [TOLLGATE_CUSTOMER_KEY]: id },
          });
          await stripe.subscriptions.create({ customer: customer.id, items: [{ price: proMonthly }] });
          await store.updateCustomer(id, { stripeCustomerId: customer.id, updatedAt: options.now });
          stripeCustomerIds[index] = customer.id;
        }),
      );
    }
    await emulator.settle();

    const events = emulator.events() as unknown as StripeEventJson[];
    const byCustomer = (type: string) => {
      const found = new Map<string, StripeEventJson>();
      for (const event of events) {
        if (event.type === type) found.set(String(event.data.object.customer), event);
      }
      return found;
    };
    const created = byCustomer('customer.subscription.created');
    const paid = byCustomer('invoice.paid');

    // Apply the subscriptions as the deployment's inbox did when they were created.
    const counters = createMemoryCounters();
    const tollgate = createTollgate({ catalog, store, counters });
    const prices = buildPriceIndex(catalog, priceIds);
    const inbox = createWebhookInbox({
      tollgate,
      stripe,
      secrets: [emulator.webhookSecret],
      prices: () => prices,
    });
    const sign = (payload: string) =>
      stripe.webhooks.generateTestHeaderString({ payload, secret: emulator.webhookSecret });
    for (let start = 0; start < options.customers; start += chunk) {
      await Promise.all(
        stripeCustomerIds.slice(start, start + chunk).map(async (stripeCustomerId) => {
          const payload = JSON.stringify(created.get(stripeCustomerId));
          const answer = await inbox.receive(payload, sign(payload));
          if (answer.status !== 200 || !('outcome' in answer.body) || answer.body.outcome !== 'processed')
            throw new Error(`could not apply ${stripeCustomerId}'s subscription: ${JSON.stringify(answer)}`);
        }),
      );
    }
    await inbox.idle();
    await tollgate.close();
    await counters.close();
    await store.close();

    // The deliveries, connection by connection.
    const first = nowSeconds - options.rounds - 5;
    const runId = randomBytes(4).toString('hex');
    let eventNumber = 0;
    const eventFor = (stripeCustomerId: string, round: number): StripeEventJson => {
      const at = first + round;
      const id = `evt_${runId}${String(eventNumber++).padStart(10, '0')}`;
      if (round % 2 === 0) {
        const template = created.get(stripeCustomerId);
        if (!template) throw new Error(`no subscription for ${stripeCustomerId}`);
        const subscription = template.data.object;
        const cancelling = round % 4 === 0;
        const periodEnd = (subscription.items as { data: Array<{ current_period_end: number }> }).data[0]
          ?.current_period_end;
        return {
          ...template,
          id,
          created: at,
          type: 'customer.subscription.updated',
          request: { id: null, idempotency_key: null },
          data: {
            object: {
              ...subscription,
              cancel_at_period_end: cancelling,
              cancel_at: cancelling ? (periodEnd ?? null) : null,
              canceled_at: cancelling ? at : null,
            },
            previous_attributes: {
              cancel_at_period_end: !cancelling,
              cancel_at: cancelling ? null : (periodEnd ?? null),
              canceled_at: cancelling ? null : at - 2,
            },
          },
        } as StripeEventJson;
      }
      const template = paid.get(stripeCustomerId);
      if (!template) throw new Error(`no paid invoice for ${stripeCustomerId}`);
      const invoice = template.data.object;
      return {
        ...template,
        id,
        created: at,
        data: {
          object: {
            ...invoice,
            id: `${String(invoice.id)}${String(round).padStart(4, '0')}`,
            created: at,
            status_transitions: {
              ...(invoice.status_transitions as Record<string, unknown>),
              finalized_at: at,
              paid_at: at,
            },
          },
        },
      } as StripeEventJson;
    };

    const lists: Delivery[][] = Array.from({ length: options.connections }, () => []);
    let distinct = 0;
    for (let connection = 0; connection < options.connections; connection++) {
      const list = lists[connection] ?? [];
      const mine = stripeCustomerIds.filter((_, index) => index % options.connections === connection);
      let sinceDuplicate = 0;
      for (let round = 0; round < options.rounds; round++) {
        for (const stripeCustomerId of mine) {
          const payload = JSON.stringify(eventFor(stripeCustomerId, round));
          list.push({ body: payload, signature: sign(payload) });
          distinct += 1;
          if (++sinceDuplicate === options.duplicateEvery) {
            sinceDuplicate = 0;
            const again = list[list.length - 1 - Math.floor(options.duplicateEvery / 2)];
            if (again) list.push(again);
          }
        }
      }
    }

    const cursors = new Array<number>(options.connections).fill(0);
    const wrapped = new Set<number>();
    return {
      stripe: {
        apiBase: emulator.url,
        secretKey: emulator.secretKey,
        webhookSecret: emulator.webhookSecret,
        priceIds: priceIds as CatalogPriceIds,
      },
      events: distinct,
      deliveries: lists.reduce((sum, list) => sum + list.length, 0),
      nextRequest(connection) {
        const list = lists[connection] ?? [];
        const position = cursors[connection] ?? 0;
        if (position >= list.length) wrapped.add(connection);
        cursors[connection] = position + 1;
        const delivery = list[position % list.length] ?? { body: '', signature: '' };
        return {
          headers: { 'content-type': 'application/json', 'stripe-signature': delivery.signature },
          body: delivery.body,
        };
      },
      wrappedConnections: () => wrapped.size,
      close: () => emulator.close(),
    };
  } catch (error) {
    await emulator.close();
    throw error;
  }
}
