/**
 * The real HTTP service (`createServer`) as bench servers:
 * - ingest: the service on a Tollgate store, for `POST /api/v1/usage/record` with batches of events;
 * - webhooks: the service with the Stripe webhook inbox (`createWebhookInbox`) on the demo catalog,
 *   its Stripe client pointed at the emulator the parent process runs, for `POST /api/v1/webhooks/stripe`.
 * The webhook server counts the inbox's outcomes (processed, duplicate, ignored, failed) through the
 * metrics the inbox records into, and every request its Stripe client makes (a re-read on a tie, a
 * customer lookup): the parent reads both to tell which path the measured events took.
 */
import type { FastifyInstance } from 'fastify';
import { buildPriceIndex } from '../src/core/billing/subscription-state.js';
import type { Catalog } from '../src/core/catalog/catalog.js';
import { demoCatalog } from '../src/core/catalog/demo-catalog.js';
import type { Store } from '../src/core/ports.js';
import { createTollgate, type Tollgate } from '../src/core/tollgate.js';
import { createMemoryCounters } from '../src/counters/memory-counters.js';
import { createServer } from '../src/server/create-server.js';
import { createMetrics, subscriptionsFromStore } from '../src/server/metrics.js';
import type { CatalogPriceIds } from '../src/stripe/gateway/ensure-catalog-prices.js';
import { createStripeClient } from '../src/stripe/stripe-client.js';
import { createWebhookInbox } from '../src/stripe/webhooks/webhook-inbox.js';

/** Where the parent's Stripe emulator answers, and what signs its webhooks. */
export interface StripeSpec {
  apiBase: string;
  secretKey: string;
  webhookSecret: string;
  priceIds: CatalogPriceIds;
}

export interface ServiceServer {
  app: FastifyInstance;
  tollgate: Tollgate;
  close(): Promise<void>;
}

/** `createServer` on the store, with the catalog given and memory counters. */
export function buildIngestServer(store: Store, catalog: Catalog, commitConcurrency: number): ServiceServer {
  const counters = createMemoryCounters();
  const tollgate = createTollgate({ catalog, store, counters, commitConcurrency });
  const app = createServer({ tollgate });
  return {
    app,
    tollgate,
    async close() {
      await app.close();
      await tollgate.close();
      await counters.close();
    },
  };
}

/** The webhook outcome and Stripe call counts the webhook server keeps, by name. */
export type WebhookCounts = Record<
  'processed' | 'duplicate' | 'ignored' | 'failed' | 'stripeRequests',
  number
>;

export function buildWebhookServer(
  store: Store,
  stripeSpec: StripeSpec,
  counts: WebhookCounts,
): ServiceServer {
  const catalog = demoCatalog();
  const counters = createMemoryCounters();
  const tollgate = createTollgate({ catalog, store, counters });
  const stripe = createStripeClient({ secretKey: stripeSpec.secretKey, apiBase: stripeSpec.apiBase });
  stripe.on('request', () => {
    counts.stripeRequests += 1;
  });
  const metrics = createMetrics({ subscriptions: subscriptionsFromStore(store) });
  const prices = buildPriceIndex(catalog, stripeSpec.priceIds);
  const inbox = createWebhookInbox({
    tollgate,
    stripe,
    secrets: [stripeSpec.webhookSecret],
    prices: () => prices,
    metrics: {
      recordWebhook(type, outcome, lagSeconds) {
        counts[outcome] += 1;
        metrics.recordWebhook(type, outcome, lagSeconds);
      },
      recordPayment: (succeeded) => metrics.recordPayment(succeeded),
    },
  });
  const app = createServer({ tollgate, stripeWebhooks: inbox, metrics });
  return {
    app,
    tollgate,
    async close() {
      await app.close();
      await inbox.idle();
      await tollgate.close();
      await counters.close();
    },
  };
}
