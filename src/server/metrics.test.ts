/**
 * `/metrics` as Prometheus scrapes it: after real requests through the service, the series carry the
 * exact figures (credits summed in integers, never drifting as floats), the route label is the route
 * pattern, the billing side's counters show what was recorded, and a configured key guards the page.
 */
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { demoCatalog } from '../core/catalog/demo-catalog.js';
import { ManualClock } from '../core/clock.js';
import type { Store } from '../core/ports.js';
import { createTollgate, type Tollgate } from '../core/tollgate.js';
import { createMemoryCounters } from '../counters/memory-counters.js';
import { createSqliteStore } from '../store/sqlite-store.js';
import { createServer, type ServerOptions } from './create-server.js';
import { createMetrics, subscriptionsFromStore } from './metrics.js';

interface Service {
  app: FastifyInstance;
  tollgate: Tollgate;
  store: Store;
}

const opened: Array<() => Promise<void>> = [];

async function openService(options: Partial<ServerOptions> = {}): Promise<Service> {
  const store = createSqliteStore({ filename: ':memory:' });
  await store.migrate();
  const counters = createMemoryCounters();
  const tollgate = createTollgate({
    catalog: demoCatalog(),
    store,
    counters,
    clock: new ManualClock(Date.UTC(2026, 0, 15, 12)),
  });
  const app = createServer({ tollgate, ...options });
  opened.push(async () => {
    await app.close();
    await tollgate.close();
    await counters.close();
    await store.close();
  });
  return { app, tollgate, store };
}

async function newKey(tollgate: Tollgate, plan: string): Promise<{ id: string; key: string }> {
  const customer = await tollgate.createCustomer({ plan });
  return { id: customer.id, key: (await tollgate.issueApiKey(customer.id)).key };
}

function record(app: FastifyInstance, key: string, body: Record<string, unknown>) {
  return app.inject({
    method: 'POST',
    url: '/api/v1/usage/record',
    headers: { 'x-api-key': key },
    payload: body,
  });
}

/** The value of one series line (`name{labels} value`), or undefined when it is absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

afterEach(async () => {
  for (const close of opened.splice(0)) await close();
});

describe('GET /metrics', () => {
  it('counts credits, quota refusals and decisions by tier, exactly', async () => {
    const { app, tollgate } = await openService();
    const pro = await newKey(tollgate, 'pro');
    const free = await newKey(tollgate, 'free');
    // Three 0.1-credit searches: as floats 0.1 + 0.1 + 0.1 = 0.30000000000000004.
    for (const n of [1, 2, 3]) {
      expect((await record(app, pro.key, { operation: 'search', idempotency_key: `s${n}` })).statusCode).toBe(
        200,
      );
    }
    // A replay answers again but debits nothing more.
    expect((await record(app, pro.key, { operation: 'search', idempotency_key: 's1' })).statusCode).toBe(200);
    expect((await record(app, free.key, { operation: 'capture', quantity: 2 })).statusCode).toBe(200);
    expect((await record(app, free.key, { operation: 'capture', quantity: 101 })).statusCode).toBe(429);

    const response = await app.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/plain');
    const text = response.body;
    expect(text).toContain('credits_used_total{tier="pro"} 0.3\n');
    expect(sample(text, 'credits_used_total{tier="free"}')).toBe(2);
    expect(sample(text, 'quota_exceeded_total{tier="free"}')).toBe(1);
    expect(sample(text, 'quota_exceeded_total{tier="pro"}')).toBeUndefined();
    expect(sample(text, 'gate_decisions_total{tier="pro",outcome="allowed"}')).toBe(4);
    expect(sample(text, 'gate_decisions_total{tier="free",outcome="allowed"}')).toBe(1);
    expect(sample(text, 'gate_decisions_total{tier="free",outcome="quota_exceeded"}')).toBe(1);
  });

  it('labels request durations with the route pattern, never the raw URL', async () => {
    const { app, tollgate } = await openService();
    const admin = (await tollgate.issueApiKey(null)).key;
    const customer = await newKey(tollgate, 'free');
    const url = `/api/v1/admin/customers/${customer.id}`;
    for (let i = 0; i < 2; i++) {
      expect((await app.inject({ method: 'GET', url, headers: { 'x-api-key': admin } })).statusCode).toBe(
        200,
      );
    }
    await app.inject({
      method: 'GET',
      url: '/api/v1/admin/customers/cus_nobody',
      headers: { 'x-api-key': admin },
    });
    await app.inject({ method: 'GET', url: `/no/such/${customer.id}` });

    const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    const series = 'http_request_duration_seconds_count{method="GET",route="/api/v1/admin/customers/:id"';
    expect(sample(text, `${series},status_code="200"}`)).toBe(2);
    expect(sample(text, `${series},status_code="404"}`)).toBe(1);
    expect(
      sample(text, 'http_request_duration_seconds_count{method="GET",route="unmatched",status_code="404"}'),
    ).toBe(1);
    expect(text).toContain('http_request_duration_seconds_bucket{le="0.005",method="GET"');
    expect(text).not.toContain(customer.id);
    expect(text).not.toContain('cus_nobody');
  });

  it('shows what the billing code records, subscriptions by plan and process metrics', async () => {
    const metrics = createMetrics({ subscriptionsTtlMs: 0 });
    const { app, tollgate, store } = await openService({ metrics });
    // The server's own metrics are replaced by these, so the subscription source is set here.
    const withSubscriptions = createMetrics({
      subscriptions: subscriptionsFromStore(store),
      subscriptionsTtlMs: 0,
    });
    for (const [plan, subscription] of [
      ['pro', 'sub_1'],
      ['pro', 'sub_2'],
      ['starter', 'sub_3'],
      ['starter', null],
    ] as const) {
      const customer = await tollgate.createCustomer({ plan });
      await tollgate.updateCustomer(customer.id, { stripeSubscriptionId: subscription });
    }
    const canceled = await tollgate.createCustomer({ plan: 'pro' });
    await tollgate.updateCustomer(canceled.id, { stripeSubscriptionId: 'sub_4', status: 'canceled' });
    const counted = await withSubscriptions.scrape();
    expect(sample(counted, 'stripe_subscriptions_total{tier="pro"}')).toBe(2);
    expect(sample(counted, 'stripe_subscriptions_total{tier="starter"}')).toBe(1);

    metrics.recordWebhook('invoice.paid', 'processed', 2);
    metrics.recordWebhook('invoice.paid', 'processed', 30);
    metrics.recordWebhook('invoice.payment_failed', 'failed', null);
    metrics.recordPayment(true);
    metrics.recordPayment(false);
    metrics.recordPayment(false);
    metrics.setOutboxBacklog(7);
    const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(sample(text, 'webhook_events_total{type="invoice.paid",outcome="processed"}')).toBe(2);
    expect(sample(text, 'webhook_events_total{type="invoice.payment_failed",outcome="failed"}')).toBe(1);
    expect(sample(text, 'webhook_processing_lag_seconds_count')).toBe(2);
    expect(sample(text, 'webhook_processing_lag_seconds_sum')).toBe(32);
    expect(sample(text, 'webhook_processing_lag_seconds_bucket{le="5"}')).toBe(1);
    expect(sample(text, 'stripe_payments_succeeded_total')).toBe(1);
    expect(sample(text, 'stripe_payments_failed_total')).toBe(2);
    expect(sample(text, 'meter_outbox_backlog')).toBe(7);
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toContain('nodejs_eventloop_lag_seconds');
  });

  it('counts subscriptions from the store by default', async () => {
    const { app, tollgate } = await openService();
    const customer = await tollgate.createCustomer({ plan: 'pro' });
    await tollgate.updateCustomer(customer.id, { stripeSubscriptionId: 'sub_1' });
    const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(sample(text, 'stripe_subscriptions_total{tier="pro"}')).toBe(1);
  });

  it('keeps the series of two servers in one process apart', async () => {
    const first = await openService();
    const second = await openService();
    const customer = await newKey(first.tollgate, 'pro');
    await record(first.app, customer.key, { operation: 'capture' });
    const one = (await first.app.inject({ method: 'GET', url: '/metrics' })).body;
    const two = (await second.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(sample(one, 'credits_used_total{tier="pro"}')).toBe(1);
    expect(sample(two, 'credits_used_total{tier="pro"}')).toBeUndefined();
  });

  it('needs the metrics key as a bearer token when one is configured', async () => {
    const metricsKey = 'scrape-key-0123456789';
    const { app, tollgate } = await openService({ metricsKey });
    const customer = await newKey(tollgate, 'pro');
    const anonymous = await app.inject({ method: 'GET', url: '/metrics' });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json()).toMatchObject({ error: 'unauthorized' });
    const wrong = await app.inject({
      method: 'GET',
      url: '/metrics',
      headers: { 'x-api-key': customer.key },
    });
    expect(wrong.statusCode).toBe(401);
    const scraper = await app.inject({
      method: 'GET',
      url: '/metrics',
      headers: { authorization: `Bearer ${metricsKey}` },
    });
    expect(scraper.statusCode).toBe(200);
    expect(scraper.body).toContain('# TYPE credits_used_total counter');
  });
});

describe('docs/operations.md and docs/alerts.yml', () => {
  async function ownSeries(): Promise<string[]> {
    const metrics = createMetrics({ subscriptions: async () => ({}) });
    const text = await metrics.scrape();
    return [...text.matchAll(/^# TYPE (\w+) /gm)]
      .map((match) => match[1] ?? '')
      .filter((name) => !name.startsWith('process_') && !name.startsWith('nodejs_'));
  }

  it('describes every series the service exports', async () => {
    const guide = readFileSync(new URL('../../docs/operations.md', import.meta.url), 'utf8');
    const series = await ownSeries();
    expect(series).toHaveLength(10);
    expect(series.filter((name) => !guide.includes(`| \`${name}\` |`))).toEqual([]);
  });

  it('alerts only on series the service exports', async () => {
    const rules = parse(readFileSync(new URL('../../docs/alerts.yml', import.meta.url), 'utf8')) as {
      groups: Array<{ rules: Array<{ alert: string; expr: string }> }>;
    };
    const series = new Set(await ownSeries());
    const alerts = rules.groups.flatMap((group) => group.rules);
    expect(alerts.map((rule) => rule.alert)).toEqual(
      expect.arrayContaining([
        'TollgateWebhookFailures',
        'TollgateMeterOutboxBacklog',
        'TollgatePaymentFailuresSpike',
        'TollgateHigh5xxRate',
        'TollgateHighP99Latency',
      ]),
    );
    for (const rule of alerts) {
      const named = [
        ...rule.expr.matchAll(/\b([a-z_]+_(?:total|seconds|backlog)(?:_bucket|_count|_sum)?)\b/g),
      ].map((match) => (match[1] ?? '').replace(/_(bucket|count|sum)$/, ''));
      expect(named.length, rule.alert).toBeGreaterThan(0);
      for (const name of named) expect(series.has(name), `${rule.alert}: ${name}`).toBe(true);
    }
  });
});
