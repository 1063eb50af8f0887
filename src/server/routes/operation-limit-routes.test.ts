/**
 * Operation limits over HTTP: the `operations` block of `/usage` and `/entitlements`, the plan's
 * operation limits in `/plans`, the IETF RateLimit fields per limited window, and a 429 that names the
 * window with its figures.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseCatalog } from '../../core/catalog/parse-catalog.js';
import { errorEnvelopeSchema } from '../openapi.js';
import { openTestServer, type TestServer } from '../testing/open-test-server.js';
import { usageSchema } from '../usage-view.js';

const catalog = parseCatalog({
  currency: 'usd',
  default_plan: 'basic',
  upgrade_url: '/billing',
  operations: { video: 0, match: 1, tokens: 0 },
  plans: {
    basic: {
      name: 'Basic',
      limits: {
        credits: 'unlimited',
        operations: {
          video: { day: 3 },
          match: { hour: 50, month: 1000, overage: { price: 10, per: 100, cap: 500 } },
        },
      },
    },
  },
});

describe('operation limits over HTTP', () => {
  let server: TestServer;
  let customer: { id: string; key: string };

  beforeEach(async () => {
    server = await openTestServer({ catalog });
    customer = await server.newCustomer({});
  });
  afterEach(async () => {
    await server.close();
  });

  const record = (body: Record<string, unknown>) =>
    server.call('POST', '/api/v1/usage/record', { key: customer.key, body });

  it('shows every operation by window in /usage: month always, other windows when limited', async () => {
    await record({ operation: 'video', quantity: 2 });
    await record({ operation: 'match', quantity: 7 });
    const response = await server.call('GET', '/api/v1/usage', { key: customer.key });
    const usage = usageSchema.parse(response.json());
    // The test server's clock: 2026-01-15 12:00 UTC.
    expect(usage.operations).toEqual({
      video: {
        day: { used: 2, limit: 3, remaining: 1, resets_at: '2026-01-16T00:00:00.000Z' },
        month: { used: 2, limit: null, remaining: null, resets_at: '2026-02-01T00:00:00.000Z' },
      },
      match: {
        hour: { used: 7, limit: 50, remaining: 43, resets_at: '2026-01-15T13:00:00.000Z' },
        month: { used: 7, limit: 1000, remaining: 993, resets_at: '2026-02-01T00:00:00.000Z' },
      },
      tokens: { month: { used: 0, limit: null, remaining: null, resets_at: '2026-02-01T00:00:00.000Z' } },
    });
    const entitlements = (await server.call('GET', '/api/v1/entitlements', { key: customer.key })).json();
    expect(entitlements.operations).toEqual(usage.operations);
    expect(entitlements.limits.operations).toEqual({
      video: { minute: null, hour: null, day: 3, month: null, overage: null },
      match: {
        minute: null,
        hour: 50,
        day: null,
        month: 1000,
        overage: { unit_amount: 10, per: 100, cap_amount: 500 },
      },
    });
  });

  it('answers 429 naming the operation window with its figures, and sets one policy per limited window', async () => {
    const first = await record({ operation: 'match', quantity: 5 });
    expect(first.statusCode).toBe(200);
    expect(first.headers['ratelimit-policy']).toBe(
      '"match-hour";q=50;w=3600, "match-month";q=1000;w=2678400',
    );
    expect(first.headers.ratelimit).toBe('"match-hour";r=45;t=3600, "match-month";r=995;t=1425600');

    await record({ operation: 'video', quantity: 3 });
    const refused = await record({ operation: 'video' });
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toBe('43200');
    const body = errorEnvelopeSchema.parse(refused.json());
    expect(body).toMatchObject({
      error: 'quota_exceeded',
      message: 'Daily limit of video exceeded. Used 3/3, requested 1.',
      upgrade_url: '/billing',
      operation: 'video',
      window: 'day',
      limit: 3,
      used: 3,
      requested: 1,
    });

    const check = await server.call('POST', '/api/v1/usage/check', {
      key: customer.key,
      body: { operation: 'video' },
    });
    expect(check.json()).toMatchObject({ allowed: false, reason: 'quota_exceeded' });
    server.clock.advance(12 * 3_600_000);
    expect((await record({ operation: 'video' })).statusCode).toBe(200);
  });

  it('gives each event of a batch its own answer against the window', async () => {
    const response = await server.call('POST', '/api/v1/usage/record', {
      key: customer.key,
      body: { events: Array.from({ length: 5 }, () => ({ operation: 'video' })) },
    });
    const { results } = response.json() as { results: Array<{ status: string; error?: unknown }> };
    expect(results.map((result) => result.status)).toEqual([
      'recorded',
      'recorded',
      'recorded',
      'denied',
      'denied',
    ]);
    expect(results[3]?.error).toMatchObject({
      error: 'quota_exceeded',
      operation: 'video',
      window: 'day',
      used: 3,
    });
  });

  it('lists the operation limits of each plan in /plans', async () => {
    const body = (await server.call('GET', '/api/v1/plans')).json();
    expect(body.plans[0].limits.operations.video).toEqual({
      minute: null,
      hour: null,
      day: 3,
      month: null,
      overage: null,
    });
  });
});
