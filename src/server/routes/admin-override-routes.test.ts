/**
 * The overrides admin API on both databases: set in the catalog's units, shown as the effective
 * limits by /usage, /entitlements, the headers and the 429 body (with their source), audited, removed
 * one or all, bad input refused naming every field with nothing written. On PostgreSQL, two servers
 * with their own pools: what one sets, the other's very next request obeys (its billing clock stands
 * still, so only the change notice can make it read the customer again).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Backend, backends, postgresUrl } from '../../../test/support/backends.js';
import { testCatalog } from '../../../test/support/test-catalog.js';
import type { Store } from '../../core/ports.js';
import { createPostgresStore } from '../../store/postgres-store.js';
import { openTestServer, type TestServer } from '../testing/open-test-server.js';

describe.each(backends)('overrides admin API on %s', (name, open) => {
  let backend: Backend;
  let server: TestServer;
  const admin = (method: string, url: string, body?: unknown) =>
    server.call(method, url, { key: server.adminKey, ...(body !== undefined ? { body } : {}) });

  beforeEach(async () => {
    backend = await open();
    server = await openTestServer({ catalog: testCatalog(), store: backend.store });
  });
  afterEach(async () => {
    await server.close();
    await backend.cleanup();
  });

  it('sets overrides in catalog units and every view shows the effective limits and their source', async () => {
    const customer = await server.newCustomer({ plan: 'free' });
    const url = `/api/v1/admin/customers/${customer.id}/overrides`;
    const expiresAt = new Date(server.clock.now() + 86_400_000).toISOString();
    const put = await admin('PUT', url, {
      limits: {
        credits: 2.5,
        requests_per_minute: 2,
        storage_bytes: '1KB',
        operations: { search: { day: 30 } },
      },
      features: { federation: true },
      expires_at: expiresAt,
      reason: 'pilot',
    });
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json()).toMatchObject({
      customer_id: customer.id,
      plan: 'free',
      audit_id: expect.any(String),
    });
    expect(put.json().overrides.map((row: { key: string }) => row.key)).toEqual([
      'credits',
      'features.federation',
      'operations.search.day',
      'requests_per_minute',
      'storage_bytes',
    ]);
    expect(put.json().overrides[0]).toMatchObject({
      key: 'credits',
      value: 2.5,
      plan_value: 100,
      expires_at: expiresAt,
      in_force: true,
      reason: 'pilot',
      created_by: expect.stringMatching(/^admin:/),
    });

    const usage = (await server.call('GET', '/api/v1/usage', { key: customer.key })).json();
    expect(usage).toMatchObject({
      monthly_limit: 2.5,
      requests_per_minute_limit: 2,
      storage_bytes_limit: 1000,
    });
    expect(usage.operations.search.day).toMatchObject({ limit: 30 });
    expect(usage.contract).toContainEqual({
      key: 'credits',
      value: 2.5,
      plan_value: 100,
      expires_at: expect.any(String),
    });

    const entitlements = (await server.call('GET', '/api/v1/entitlements', { key: customer.key })).json();
    expect(entitlements.features.federation).toBe(true);
    expect(entitlements.limits).toMatchObject({ credits_per_month: 2.5, requests_per_minute: 2 });
    expect(entitlements.contract).toContainEqual({
      key: 'features.federation',
      value: true,
      plan_value: false,
      expires_at: expect.any(String),
    });

    const check = await server.call('POST', '/api/v1/usage/check', {
      key: customer.key,
      body: { operation: 'capture', quantity: 3 },
    });
    expect(check.headers['x-ratelimit-limit-minute']).toBe('2');
    expect(check.json()).toMatchObject({ allowed: false, reason: 'quota_exceeded', monthly_limit: 2.5 });
    const refused = await server.call('POST', '/api/v1/usage/record', {
      key: customer.key,
      body: { operation: 'capture', quantity: 3 },
    });
    expect(refused.statusCode).toBe(429);
    expect(refused.json()).toMatchObject({
      error: 'quota_exceeded',
      limit_source: 'contract',
      usage: { monthly_limit: 2.5 },
    });

    const read = (await admin('GET', `/api/v1/admin/customers/${customer.id}`)).json();
    expect(read.overrides).toHaveLength(5);
    expect(read.usage.contract).toHaveLength(5);
    const events = (await admin('GET', `/api/v1/admin/customers/${customer.id}/events`)).json();
    expect(events.data[0]).toMatchObject({
      action: 'contract.overrides_set',
      actor: expect.stringMatching(/^admin:/),
      details: { plan: 'free', reason: 'pilot' },
    });
    expect(events.data[0].details.changes).toContainEqual({
      key: 'requests_per_minute',
      plan: 10,
      before: null,
      after: { value: 2, expires_at: expect.any(String) },
    });
  });

  it('removes one override and then all, each audited; a key not set is 404', async () => {
    const customer = await server.newCustomer({ plan: 'free' });
    const url = `/api/v1/admin/customers/${customer.id}/overrides`;
    await admin('PUT', url, {
      limits: { credits: 500, concurrent_requests: 5 },
      features: { federation: true },
    });

    const one = await admin('DELETE', `${url}/features.federation?reason=ended`);
    expect(one.statusCode, one.body).toBe(200);
    expect(one.json().overrides.map((row: { key: string }) => row.key)).toEqual([
      'concurrent_requests',
      'credits',
    ]);
    const feature = await server.call('POST', '/api/v1/usage/check', {
      key: customer.key,
      body: { operation: 'capture' },
    });
    expect(feature.json().monthly_limit).toBe(500);
    expect((await admin('DELETE', `${url}/features.federation`)).statusCode).toBe(404);
    expect((await admin('DELETE', `${url}/features.teleport`)).json()).toMatchObject({
      error: 'invalid_request',
      issues: [{ path: 'key', message: "unknown feature 'teleport'" }],
    });

    const all = await admin('DELETE', url);
    expect(all.json().overrides).toEqual([]);
    const usage = (await server.call('GET', '/api/v1/usage', { key: customer.key })).json();
    expect(usage).toMatchObject({ monthly_limit: 100, concurrent_requests_limit: 2, contract: [] });
    const events = (await admin('GET', `/api/v1/admin/customers/${customer.id}/events`)).json();
    expect(events.data.map((entry: { action: string }) => entry.action)).toEqual([
      'contract.overrides_removed',
      'contract.overrides_removed',
      'contract.overrides_set',
    ]);
    expect(events.data[1].details).toMatchObject({
      reason: 'ended',
      changes: [{ key: 'features.federation', plan: false, before: { value: true }, after: null }],
    });
  });

  it('refuses bad input naming every field, writing nothing', async () => {
    const customer = await server.newCustomer({ plan: 'free' });
    const url = `/api/v1/admin/customers/${customer.id}/overrides`;
    const response = await admin('PUT', url, {
      limits: {
        credits: 1.0005,
        requests_per_day: -3,
        operations: { video: { day: 1 }, search: { week: 5, overage: { unit_amount: 1 } } },
        overage: { unit_amount: 10, unit_credits: 0, cap_amount: null },
      },
      features: { teleport: true, federation: 'yes' },
      expires_at: new Date(server.clock.now()).toISOString(),
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().issues).toEqual([
      { path: 'expires_at', message: expect.stringContaining('after the current billing time') },
      { path: 'limits.credits', message: expect.stringContaining('at most 3 decimals') },
      { path: 'limits.requests_per_day', message: expect.stringContaining('positive integer') },
      { path: 'limits.overage', message: expect.stringContaining('unit_credits') },
      { path: 'limits.operations.video.day', message: "unknown operation 'video'" },
      { path: 'limits.operations.search.week', message: expect.stringContaining("unknown window 'week'") },
      { path: 'limits.operations.search.overage', message: expect.stringContaining('per') },
      { path: 'features.teleport', message: "unknown feature 'teleport'" },
      { path: 'features.federation', message: 'expected true or false' },
    ]);
    const unknownField = await admin('PUT', url, { limits: { credit: 5 } });
    expect(unknownField.json().issues).toEqual([{ path: 'limits.credit', message: expect.any(String) }]);
    expect((await admin('PUT', url, {})).statusCode).toBe(400);
    expect((await admin('GET', url)).json().overrides).toEqual([]);
    expect((await admin('GET', `/api/v1/admin/customers/${customer.id}/events`)).json().data).toEqual([]);

    expect(
      (await admin('PUT', '/api/v1/admin/customers/tgcus_missing/overrides', { limits: { credits: 1 } }))
        .statusCode,
    ).toBe(404);
    const asCustomer = await server.call('GET', url, { key: customer.key });
    expect(asCustomer.statusCode).toBe(403);
  });

  it.runIf(name === 'postgres')(
    name === 'postgres'
      ? 'two instances: what one sets or removes, the other obeys on its very next request'
      : 'skipped on sqlite: two instances need the PostgreSQL change feed (SQLite is one process)',
    async () => {
      const location = backend.location;
      if (location.kind !== 'postgres') throw new Error('postgres only');
      const otherStore: Store = createPostgresStore({
        connectionString: postgresUrl,
        schema: location.schema,
      });
      const other = await openTestServer({ catalog: testCatalog(), store: otherStore });
      try {
        const customer = await server.newCustomer({ plan: 'free' });
        const url = `/api/v1/admin/customers/${customer.id}/overrides`;
        const record = () =>
          other.call('POST', '/api/v1/usage/record', {
            key: customer.key,
            body: { operation: 'capture', quantity: 100 },
          });
        // Instance 2 reads (and caches) the customer on the plan's 100 credits.
        const before = await other.call('POST', '/api/v1/usage/check', {
          key: customer.key,
          body: { operation: 'capture', quantity: 150 },
        });
        expect(before.json()).toMatchObject({ allowed: false, monthly_limit: 100 });

        // Raised on instance 1: instance 2's next request may take 150 more.
        expect((await admin('PUT', url, { limits: { credits: 250 } })).statusCode).toBe(200);
        expect((await record()).statusCode).toBe(200);
        expect((await record()).statusCode).toBe(200);

        // Lowered on instance 1 below what is used: instance 2's next request is refused.
        expect((await admin('PUT', url, { limits: { credits: 150 } })).statusCode).toBe(200);
        const lowered = await record();
        expect(lowered.statusCode).toBe(429);
        expect(lowered.json()).toMatchObject({ limit_source: 'contract', usage: { monthly_limit: 150 } });

        // A feature on, then removed: instance 2 follows each time.
        const federation = () =>
          other.call('POST', '/api/v1/usage/check', { key: customer.key, body: { operation: 'search' } });
        await admin('PUT', url, { features: { federation: true } });
        expect(
          (await other.call('GET', '/api/v1/entitlements', { key: customer.key })).json().features,
        ).toEqual({
          federation: true,
        });
        await admin('DELETE', url);
        expect((await federation()).json()).toMatchObject({ monthly_limit: 100 });
        expect(
          (await other.call('GET', '/api/v1/entitlements', { key: customer.key })).json().features,
        ).toEqual({
          federation: false,
        });
      } finally {
        await other.close();
        await otherStore.close();
      }
    },
  );
});
