/**
 * The gate hook on a real Fastify route over a real SQLite store: auth, headers, the documented
 * bodies of denials, and concurrency slots freed when the response ends, also when the handler throws.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testCatalog } from '../../test/support/test-catalog.js';
import { ManualClock } from '../core/clock.js';
import type { Store } from '../core/ports.js';
import { createTollgate, type Tollgate } from '../core/tollgate.js';
import { createMemoryCounters } from '../counters/memory-counters.js';
import { createSqliteStore } from '../store/sqlite-store.js';
import { installErrorHandler } from './error-handler.js';
import { gateRoute } from './gate-hook.js';

describe('gateRoute', () => {
  let store: Store;
  let tollgate: Tollgate;
  let app: FastifyInstance;
  let key: string;
  let release: () => void = () => {};

  beforeEach(async () => {
    store = createSqliteStore({ filename: ':memory:' });
    await store.migrate();
    tollgate = createTollgate({
      catalog: testCatalog(),
      store,
      counters: createMemoryCounters(),
      clock: new ManualClock(),
    });
    const customer = await tollgate.createCustomer({ plan: 'free' });
    key = (await tollgate.issueApiKey(customer.id)).key;
    app = Fastify();
    installErrorHandler(app);
    app.post('/capture', { preHandler: gateRoute(tollgate, { operation: 'capture' }) }, async () => ({
      ok: true,
    }));
    app.post('/federation', { preHandler: gateRoute(tollgate, { feature: 'federation' }) }, async () => ({
      ok: true,
    }));
    app.post('/fails', { preHandler: gateRoute(tollgate, { operation: 'search' }) }, async () => {
      throw new Error('handler broke');
    });
    app.post('/slow', { preHandler: gateRoute(tollgate, { operation: 'search' }) }, async () => {
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      return { ok: true };
    });
  });

  afterEach(async () => {
    await app.close();
    await tollgate.close();
    await store.close();
  });

  it('answers 401 in the documented shape without a key or with a wrong one', async () => {
    for (const headers of [{}, { 'x-api-key': 'tg_live_nope' }, { authorization: 'Bearer nope' }]) {
      const response = await app.inject({ method: 'POST', url: '/capture', headers });
      expect(response.statusCode).toBe(401);
      expect(response.json()).toEqual({ error: 'unauthorized', message: 'A valid API key is required.' });
    }
  });

  it('meters the route and sets the contract headers (X-API-Key or Bearer)', async () => {
    const first = await app.inject({ method: 'POST', url: '/capture', headers: { 'x-api-key': key } });
    const second = await app.inject({
      method: 'POST',
      url: '/capture',
      headers: { authorization: `Bearer ${key}` },
    });
    expect(first.statusCode).toBe(200);
    expect(second.headers).toMatchObject({
      'x-tier': 'free',
      'x-credits-used': '1',
      'x-credits-total': '2',
      'x-credits-remaining': '98',
      'x-ratelimit-limit-minute': '10',
      'x-ratelimit-remaining-minute': '8',
      'ratelimit-policy': '"minute";q=10;w=60, "day";q=100;w=86400',
    });
    expect(Number(second.headers['x-request-duration-ms'])).toBeGreaterThanOrEqual(0);
  });

  it('denies a missing feature with 403, the feature and an upgrade link, recording nothing', async () => {
    const metered = await app.inject({ method: 'POST', url: '/capture', headers: { 'x-api-key': key } });
    expect(metered.headers['x-ratelimit-remaining-minute']).toBe('9');
    const response = await app.inject({ method: 'POST', url: '/federation', headers: { 'x-api-key': key } });
    expect(response.statusCode).toBe(403);
    expect(response.json()).toEqual({
      error: 'feature_not_available',
      message: "Feature 'federation' is not available on the free plan.",
      feature: 'federation',
      current_tier: 'free',
      limit_source: 'plan',
      upgrade_url: 'https://example.test/upgrade',
      plan: 'free',
    });
    // The refusal states the windows as they are (9 left), not the plan's full allowance.
    expect(response.headers['x-ratelimit-remaining-minute']).toBe('9');
    expect(response.headers['x-credits-total']).toBe('1');
    const usage = await app.inject({ method: 'POST', url: '/capture', headers: { 'x-api-key': key } });
    expect(usage.headers['x-ratelimit-remaining-minute']).toBe('8');
  });

  it('answers 429 with Retry-After and retry_after once the minute is used up', async () => {
    for (let i = 0; i < 10; i++)
      await app.inject({ method: 'POST', url: '/capture', headers: { 'x-api-key': key } });
    const denied = await app.inject({ method: 'POST', url: '/capture', headers: { 'x-api-key': key } });
    expect(denied.statusCode).toBe(429);
    expect(denied.headers['retry-after']).toBeDefined();
    expect(denied.json()).toMatchObject({
      error: 'rate_limited',
      retry_after: Number(denied.headers['retry-after']),
    });
  });

  it('frees the concurrency slot when the handler throws', async () => {
    // The free plan allows 2 requests at once: 5 failing requests in a row must not leak slots.
    for (let i = 0; i < 5; i++) {
      const response = await app.inject({ method: 'POST', url: '/fails', headers: { 'x-api-key': key } });
      expect(response.statusCode).toBe(500);
      expect(response.json()).toEqual({ error: 'internal', message: 'Something went wrong on our side.' });
    }
    const ok = await app.inject({ method: 'POST', url: '/capture', headers: { 'x-api-key': key } });
    expect(ok.statusCode).toBe(200);
  });

  it('holds the slot while the request runs and refuses a third concurrent request', async () => {
    const slow = app.inject({ method: 'POST', url: '/slow', headers: { 'x-api-key': key } });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const holding = release;
    const second = app.inject({ method: 'POST', url: '/slow', headers: { 'x-api-key': key } });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const third = await app.inject({ method: 'POST', url: '/capture', headers: { 'x-api-key': key } });
    expect(third.statusCode).toBe(429);
    expect(third.json()).toMatchObject({ error: 'concurrency_limited' });
    holding();
    release();
    expect((await slow).statusCode).toBe(200);
    expect((await second).statusCode).toBe(200);
    const after = await app.inject({ method: 'POST', url: '/capture', headers: { 'x-api-key': key } });
    expect(after.statusCode).toBe(200);
  });
});
