/** `GET /api/v1/plans` on the demo catalog: public, exact units, no Stripe configuration leaked. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoCatalog } from '../../core/catalog/demo-catalog.js';
import { plansSchema } from '../plan-view.js';
import { openTestServer, type TestServer } from '../testing/open-test-server.js';

describe('GET /api/v1/plans', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await openTestServer({ catalog: demoCatalog() });
  });

  afterAll(async () => {
    await server.close();
  });

  it('lists the demo tiers with prices in minor units, credits as numbers and null for unlimited', async () => {
    const response = await server.call('GET', '/api/v1/plans');
    expect(response.statusCode).toBe(200);
    const body = plansSchema.parse(response.json());
    expect(body.plans.map((plan) => plan.id)).toEqual(['free', 'starter', 'pro', 'enterprise']);
    const [free, , pro, enterprise] = body.plans;
    expect(free).toEqual({
      id: 'free',
      name: 'Free',
      description: 'Try it out, no card needed',
      default: true,
      currency: 'usd',
      prices: { month: 0, year: null },
      trial_days: 0,
      limits: {
        credits_per_month: 100,
        requests_per_minute: 10,
        requests_per_day: 100,
        concurrent_requests: 2,
        storage_bytes: 100_000_000,
        storage_items: null,
        operations: {},
      },
      features: ['semantic_search'],
      overage: null,
    });
    expect(pro).toMatchObject({
      prices: { month: 2900, year: 29000 },
      trial_days: 14,
      limits: { credits_per_month: 100000, requests_per_minute: 100 },
      features: ['semantic_search', 'federation', 'realtime_sync'],
      overage: { unit_amount: 10, unit_credits: 1000, cap_amount: null },
    });
    expect(enterprise?.limits).toEqual({
      credits_per_month: null,
      requests_per_minute: null,
      requests_per_day: null,
      concurrent_requests: null,
      storage_bytes: null,
      storage_items: null,
      operations: {},
    });
    expect(body.operations).toEqual([
      { id: 'capture', credits: 1, description: 'Capture a memory' },
      { id: 'search', credits: 0.1, description: 'Search stored memories' },
      { id: 'reflect', credits: 2, description: 'Reflect over stored memories' },
    ]);
    expect(body.features.map((feature) => feature.id)).toEqual([
      'semantic_search',
      'federation',
      'realtime_sync',
    ]);
    expect(response.body).not.toContain('stripe');
  });

  it('needs no key, and answers the same with one', async () => {
    const { key } = await server.newCustomer();
    const anonymous = await server.call('GET', '/api/v1/plans');
    const withKey = await server.call('GET', '/api/v1/plans', { key });
    expect(withKey.body).toBe(anonymous.body);
  });

  it('ignores a query string (a cache-buster or a tracking parameter), as the other public GETs do', async () => {
    const plain = await server.call('GET', '/api/v1/plans');
    for (const url of ['/api/v1/plans?utm_source=x', '/api/v1/plans?currency=eur&_=1733212800']) {
      const response = await server.call('GET', url);
      expect(response.statusCode, url).toBe(200);
      expect(response.body).toBe(plain.body);
    }
    for (const url of [
      '/health?foo=bar',
      '/ready?_=1',
      '/metrics?x=1',
      '/openapi.json?v=2',
      '/docs?ref=nav',
    ]) {
      expect((await server.call('GET', url)).statusCode, url).toBe(200);
    }
  });

  it('still refuses unknown query fields on routes with a key, and unknown body fields anywhere', async () => {
    const { key } = await server.newCustomer();
    const entitlements = await server.call('GET', '/api/v1/entitlements?customer_id=someone', { key });
    expect(entitlements.statusCode).toBe(400);
    expect(entitlements.json().issues).toEqual([{ path: 'customer_id', message: 'unknown field' }]);
    const query = await server.call('POST', '/api/v1/usage/check?_=1', {
      key,
      body: { operation: 'capture' },
    });
    expect(query.statusCode).toBe(400);
    expect(query.json().issues).toEqual([{ path: '_', message: 'unknown field' }]);
    const body = await server.call('POST', '/api/v1/usage/check', {
      key,
      body: { operation: 'capture', extra: 1 },
    });
    expect(body.statusCode).toBe(400);
    expect(body.json().issues).toEqual([{ path: 'extra', message: 'unknown field' }]);
  });
});
