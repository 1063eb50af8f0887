/**
 * Prometheus metrics for one service instance, on a registry of its own (never prom-client's global
 * one), so several servers in one process, and tests, never share or clash over series.
 *
 * The gate's decisions come in through `tollgate.observeDecisions`, HTTP durations through a Fastify
 * hook, and the Stripe side (webhooks, payments, the meter outbox) through the `record*` / `set*`
 * functions the billing code calls. Every series is listed in docs/operations.md.
 */
import type { FastifyInstance } from 'fastify';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { GateDecision } from '../core/gate/gate-decision.js';
import type { Store } from '../core/ports.js';

/** Customers with a live Stripe subscription, by plan id; read when Prometheus scrapes. */
export type SubscriptionCounts = () => Promise<Record<string, number>>;

export interface MetricsOptions {
  /** Where `stripe_subscriptions_total` comes from; the series is absent without one. */
  subscriptions?: SubscriptionCounts;
  /** How long a subscription count is reused between scrapes; default 30 s (it may scan a table). */
  subscriptionsTtlMs?: number;
  /** Node's process metrics (CPU, memory, event loop, GC); default true. */
  processMetrics?: boolean;
}

/** How a webhook event ended: applied, a duplicate of one already applied, ignored, or failed (Stripe retries). */
export type WebhookOutcome = 'processed' | 'duplicate' | 'ignored' | 'failed';

export interface TollgateMetrics {
  readonly registry: Registry;
  /** The Content-Type of `scrape()`'s text. */
  readonly contentType: string;
  /** Counts one decision of `consume` (credits, quota denials, outcomes). */
  recordDecision(decision: GateDecision): void;
  /** One HTTP request; `route` is the route pattern (`/api/v1/admin/customers/:id`), never the raw URL. */
  recordRequest(method: string, route: string, statusCode: number, seconds: number): void;
  /** One Stripe webhook event handled; `lagSeconds` is now minus the event's `created`. */
  recordWebhook(type: string, outcome: WebhookOutcome, lagSeconds?: number | null): void;
  /** One invoice payment Stripe reported (invoice.paid / invoice.payment_failed). */
  recordPayment(succeeded: boolean): void;
  /** Meter windows waiting to be reported to Stripe. */
  setOutboxBacklog(windows: number): void;
  /** The text Prometheus reads. */
  scrape(): Promise<string>;
}

/**
 * @example
 * const metrics = createMetrics({ subscriptions: subscriptionsFromStore(store) });
 * metrics.recordPayment(false);
 * const text = await metrics.scrape();
 */
export function createMetrics(options: MetricsOptions = {}): TollgateMetrics {
  const registry = new Registry();
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });

  // Credits are integer milli-credits; a float counter fed 0.1 at a time drifts (0.1 + 0.2 != 0.3).
  // The exact sum is kept here and the counter is set from it when scraped.
  const milliCreditsByTier = new Map<string, number>();
  new Counter({
    name: 'credits_used_total',
    help: 'Credits debited by the gate (recorded usage), by plan',
    labelNames: ['tier'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [tier, milli] of milliCreditsByTier) this.inc({ tier }, milli / 1000);
    },
  });
  const quotaExceeded = new Counter({
    name: 'quota_exceeded_total',
    help: 'Requests refused with quota_exceeded, by plan',
    labelNames: ['tier'],
    registers: [registry],
  });
  const decisions = new Counter({
    name: 'gate_decisions_total',
    help: 'Gate decisions that debit (consume), by plan and outcome (allowed, or the refusal reason)',
    labelNames: ['tier', 'outcome'],
    registers: [registry],
  });
  const requestDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request durations, by method, route pattern and status code',
    labelNames: ['method', 'route', 'status_code'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const webhookEvents = new Counter({
    name: 'webhook_events_total',
    help: 'Stripe webhook events handled, by event type and outcome',
    labelNames: ['type', 'outcome'],
    registers: [registry],
  });
  const webhookLag = new Histogram({
    name: 'webhook_processing_lag_seconds',
    help: 'Seconds from a Stripe event being created to Tollgate applying it',
    buckets: [0.5, 1, 5, 15, 60, 300, 900, 3600, 21600, 86400],
    registers: [registry],
  });
  const paymentsSucceeded = new Counter({
    name: 'stripe_payments_succeeded_total',
    help: 'Invoice payments that succeeded',
    registers: [registry],
  });
  const paymentsFailed = new Counter({
    name: 'stripe_payments_failed_total',
    help: 'Invoice payments that failed',
    registers: [registry],
  });
  const outboxBacklog = new Gauge({
    name: 'meter_outbox_backlog',
    help: 'Meter windows waiting to be reported to Stripe',
    registers: [registry],
  });

  const source = options.subscriptions;
  if (source) {
    const ttlMs = options.subscriptionsTtlMs ?? 30_000;
    let cached: { at: number; counts: Record<string, number> } | undefined;
    new Gauge({
      name: 'stripe_subscriptions_total',
      help: 'Customers with a live Stripe subscription, by plan',
      labelNames: ['tier'],
      registers: [registry],
      async collect() {
        const at = Date.now();
        if (!cached || at - cached.at >= ttlMs) cached = { at, counts: await source() };
        this.reset();
        for (const [tier, count] of Object.entries(cached.counts)) this.set({ tier }, count);
      },
    });
  }

  return {
    registry,
    contentType: registry.contentType,
    recordDecision(decision) {
      const tier = decision.plan;
      decisions.inc({ tier, outcome: decision.reason ?? 'allowed' });
      if (decision.reason === 'quota_exceeded') quotaExceeded.inc({ tier });
      // A replay repeats an earlier debit: its credits were counted the first time.
      if (decision.allowed && decision.eventId !== null && !decision.replayed && decision.credits.cost > 0) {
        milliCreditsByTier.set(tier, (milliCreditsByTier.get(tier) ?? 0) + decision.credits.cost);
      }
    },
    recordRequest(method, route, statusCode, seconds) {
      requestDuration.observe({ method, route, status_code: String(statusCode) }, seconds);
    },
    recordWebhook(type, outcome, lagSeconds) {
      webhookEvents.inc({ type, outcome });
      if (lagSeconds !== undefined && lagSeconds !== null && Number.isFinite(lagSeconds)) {
        webhookLag.observe(Math.max(0, lagSeconds));
      }
    },
    recordPayment(succeeded) {
      (succeeded ? paymentsSucceeded : paymentsFailed).inc();
    },
    setOutboxBacklog(windows) {
      outboxBacklog.set(windows);
    },
    scrape: () => registry.metrics(),
  };
}

/** Times every request of `app` into `http_request_duration_seconds`, labelled by route pattern. */
export function observeHttpRequests(app: FastifyInstance, metrics: TollgateMetrics): void {
  app.addHook('onResponse', async (request, reply) => {
    // The pattern, not the URL: ids in paths would make one series per customer. Unmatched URLs
    // (404s, probes) share one label, so a scanner cannot blow up the series count.
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.recordRequest(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
  });
}

/** `stripe_subscriptions_total` from the store: one grouped query per scrape (cached, see `subscriptionsTtlMs`). */
export function subscriptionsFromStore(store: Pick<Store, 'countSubscriptionsByPlan'>): SubscriptionCounts {
  return () => store.countSubscriptionsByPlan();
}
