/**
 * Team keys through the service on SQLite and PostgreSQL: keys issued and changed with an owner and
 * limits (audited, validated with nothing written on a bad request), a key's credit share admitted
 * exactly under 300 concurrent requests while another key of the customer spends the rest, the
 * denial naming the key, usage by key adding up to the customer's total, and the key's own figures
 * in `GET /api/v1/usage`. On PostgreSQL, two servers with their own pools: a key's limits lowered or
 * the key revoked on one are obeyed by the other's very next request (its billing clock stands still,
 * so only the change notice can make it read the key again).
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Backend, backends, postgresUrl } from '../../../test/support/backends.js';
import { testCatalog } from '../../../test/support/test-catalog.js';
import type { Store } from '../../core/ports.js';
import { createPostgresStore } from '../../store/postgres-store.js';
import { openTestServer, type TestServer } from '../testing/open-test-server.js';

describe.each(backends)('team keys on %s', (name, open) => {
  let backend: Backend;
  let server: TestServer;

  beforeAll(async () => {
    backend = await open();
  });
  afterAll(async () => {
    await backend?.cleanup();
  });
  beforeEach(async () => {
    server = await openTestServer({ catalog: testCatalog(), store: backend.store });
  });
  afterEach(async () => {
    await server.close();
  });

  const admin = (method: string, url: string, body?: unknown) =>
    server.call(method, url, { key: server.adminKey, ...(body !== undefined ? { body } : {}) });
  const capture = (key: string, index: number) =>
    server.call('POST', '/api/v1/usage/record', {
      key,
      body: { operation: 'capture', quantity: 1, idempotency_key: `capture-${index}` },
    });

  it('issues a key with a name, owner and limits, and changes them with an audit entry', async () => {
    const { id } = await server.newCustomer({ plan: 'bulk' });
    const issued = await admin('POST', `/api/v1/admin/customers/${id}/keys`, {
      name: 'ci',
      owner: 'ana@example.com',
      limits: { credits: 30, requests_per_minute: 5 },
    });
    expect(issued.statusCode).toBe(201);
    expect(issued.json()).toMatchObject({
      name: 'ci',
      owner: 'ana@example.com',
      limits: { credits: 30, requests_per_minute: 5, requests_per_day: null },
      key: expect.stringMatching(/^tg_live_/),
    });
    const keyId = issued.json().id;

    const changed = await admin('PATCH', `/api/v1/admin/keys/${keyId}`, {
      owner: 'bo@example.com',
      limits: { credits: 40, requests_per_minute: null },
    });
    expect(changed.statusCode).toBe(200);
    expect(changed.json()).toMatchObject({
      id: keyId,
      name: 'ci',
      owner: 'bo@example.com',
      limits: { credits: 40, requests_per_minute: null, requests_per_day: null },
    });

    const trail = (await admin('GET', `/api/v1/admin/customers/${id}/events`)).json().data;
    expect(trail[0]).toMatchObject({
      action: 'api_key.updated',
      actor: expect.stringMatching(/^admin:/),
      details: {
        keyId,
        before: {
          name: 'ci',
          owner: 'ana@example.com',
          limits: { credits: 30, requests_per_minute: 5, requests_per_day: null },
        },
        after: {
          name: 'ci',
          owner: 'bo@example.com',
          limits: { credits: 40, requests_per_minute: null, requests_per_day: null },
        },
      },
    });
    expect(trail[1]).toMatchObject({
      action: 'api_key.issued',
      details: { keyId, owner: 'ana@example.com', limits: { credits: 30 } },
    });

    const detail = (await admin('GET', `/api/v1/admin/customers/${id}`)).json();
    expect(detail.api_keys.find((key: { id: string }) => key.id === keyId)).toMatchObject({
      owner: 'bo@example.com',
      limits: { credits: 40 },
      usage: { credits_used: 0, events: 0 },
    });
    const cleared = await admin('PATCH', `/api/v1/admin/keys/${keyId}`, { limits: null, owner: null });
    expect(cleared.json()).toMatchObject({ owner: null, limits: null });
  });

  it('refuses bad limits with invalid_request and writes nothing', async () => {
    const { id } = await server.newCustomer({ plan: 'bulk' });
    const keysBefore = await server.store.listApiKeys(id);
    for (const limits of [{ credits: -1 }, { credits: 1.5 }, { requests_per_day: '10' }, { share: 3 }]) {
      const response = await admin('POST', `/api/v1/admin/customers/${id}/keys`, { name: 'x', limits });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ error: 'invalid_request', issues: [expect.any(Object)] });
    }
    expect(await server.store.listApiKeys(id)).toEqual(keysBefore);

    const key = keysBefore[0];
    if (key === undefined) throw new Error('the customer has a key');
    const bad = await admin('PATCH', `/api/v1/admin/keys/${key.id}`, {
      owner: 'x@example.com',
      limits: { requests_per_minute: -5 },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().issues[0].path).toContain('requests_per_minute');
    expect(await server.store.getApiKey(key.id)).toEqual(key);
    expect((await admin('PATCH', `/api/v1/admin/keys/${key.id}`, {})).statusCode).toBe(400);
    expect((await admin('PATCH', '/api/v1/admin/keys/key_missing', { owner: 'x' })).statusCode).toBe(404);
    const trail = (await admin('GET', `/api/v1/admin/customers/${id}/events`)).json().data;
    expect(trail).toEqual([]);
    // A limit above the customer's is accepted: it never binds (the customer's holds).
    const above = await admin('POST', `/api/v1/admin/customers/${id}/keys`, { limits: { credits: 5000 } });
    expect(above.statusCode).toBe(201);
  });

  it("admits exactly a key's 30 of 100 credits under 300 concurrent requests while another key spends the rest", async () => {
    const { id } = await server.newCustomer({ plan: 'bulk' });
    const limited = (
      await admin('POST', `/api/v1/admin/customers/${id}/keys`, {
        name: 'intern',
        owner: 'intern@example.com',
        limits: { credits: 30 },
      })
    ).json();
    const other = (await admin('POST', `/api/v1/admin/customers/${id}/keys`, { name: 'lead' })).json();

    const responses = await Promise.all(
      Array.from({ length: 300 }, (_, index) => capture(index % 2 === 0 ? limited.key : other.key, index)),
    );
    const byLimited = responses.filter((_, index) => index % 2 === 0);
    const byOther = responses.filter((_, index) => index % 2 === 1);
    expect(byLimited.filter((response) => response.statusCode === 200)).toHaveLength(30);
    expect(byOther.filter((response) => response.statusCode === 200)).toHaveLength(70);
    const keyDenial = byLimited.find((response) => response.json().scope === 'key');
    expect(keyDenial?.statusCode).toBe(429);
    expect(keyDenial?.json()).toMatchObject({
      error: 'quota_exceeded',
      scope: 'key',
      key_id: limited.id,
      key_usage: { credits_used: 30, credits_limit: 30, requested: 1 },
      message: "This API key's quota exceeded. Used 30/30 credits this period, requested 1.",
    });

    const breakdown = (await admin('GET', `/api/v1/admin/customers/${id}/usage/keys`)).json();
    const usage = (await server.call('GET', '/api/v1/usage', { key: other.key })).json();
    expect(usage.credits_used).toBe(100);
    expect(usage.key).toBeUndefined();
    expect(breakdown.credits_used).toBe(100);
    expect(breakdown.keys.find((key: { key_id: string }) => key.key_id === limited.id)).toMatchObject({
      owner: 'intern@example.com',
      credits_used: 30,
      events: 30,
      limits: { credits: 30 },
    });
    expect(breakdown.keys.find((key: { key_id: string }) => key.key_id === other.id)).toMatchObject({
      credits_used: 70,
      events: 70,
    });
    const summed =
      breakdown.keys.reduce((sum: number, key: { credits_used: number }) => sum + key.credits_used, 0) +
      breakdown.unattributed.credits_used;
    expect(summed).toBe(breakdown.credits_used);

    const own = (await server.call('GET', '/api/v1/usage', { key: limited.key })).json();
    expect(own.key).toEqual({
      id: limited.id,
      name: 'intern',
      owner: 'intern@example.com',
      credits_used: 30,
      credits_limit: 30,
      credits_remaining: 0,
      requests_per_minute: null,
      requests_this_minute: null,
      requests_per_day: null,
      requests_today: null,
    });
  });

  it("refuses past a key's own minute rate naming the key, while the customer's other keys still pass", async () => {
    const { id } = await server.newCustomer({ plan: 'free' });
    const limited = (
      await admin('POST', `/api/v1/admin/customers/${id}/keys`, { limits: { requests_per_minute: 3 } })
    ).json();
    const other = (await admin('POST', `/api/v1/admin/customers/${id}/keys`, {})).json();
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, index) => capture(limited.key, index)),
    );
    expect(responses.filter((response) => response.statusCode === 200)).toHaveLength(3);
    const denied = responses.find((response) => response.statusCode === 429);
    expect(denied?.json()).toMatchObject({
      error: 'rate_limited',
      scope: 'key',
      key_id: limited.id,
      limit: 3,
      window: 'minute',
    });
    // The free plan allows 10 a minute: the other key gets the 7 the customer has left.
    const rest = await Promise.all(Array.from({ length: 20 }, (_, index) => capture(other.key, 100 + index)));
    expect(rest.filter((response) => response.statusCode === 200)).toHaveLength(7);
    expect(rest.find((response) => response.statusCode === 429)?.json().scope).toBeUndefined();
    const own = (await server.call('GET', '/api/v1/usage', { key: limited.key })).json();
    // The usage call itself is not counted; the 3 admitted captures are.
    expect(own.key).toMatchObject({ requests_per_minute: 3, requests_this_minute: 3, requests_today: null });
  });

  it("holds a key's share in a batch of events, each refused one naming the key", async () => {
    const { id } = await server.newCustomer({ plan: 'bulk' });
    const limited = (
      await admin('POST', `/api/v1/admin/customers/${id}/keys`, { limits: { credits: 3 } })
    ).json();
    const events = Array.from({ length: 10 }, (_, index) => ({
      operation: 'capture',
      idempotency_key: `batch-${index}`,
    }));
    const response = await server.call('POST', '/api/v1/usage/record', {
      key: limited.key,
      body: { events },
    });
    expect(response.statusCode).toBe(200);
    const results = response.json().results;
    expect(results.filter((result: { status: string }) => result.status === 'recorded')).toHaveLength(3);
    expect(results[9]).toMatchObject({ status: 'denied', error: { scope: 'key', key_id: limited.id } });
  });

  it('records a settle against the key that settles it, within its limit', async () => {
    const { id } = await server.newCustomer({ plan: 'bulk' });
    const limited = (
      await admin('POST', `/api/v1/admin/customers/${id}/keys`, { limits: { credits: 5 } })
    ).json();
    const reserved = await server.call('POST', '/api/v1/usage/reserve', {
      key: limited.key,
      body: { operation: 'capture', quantity: 4 },
    });
    expect(reserved.statusCode).toBe(200);
    const settled = await server.call(
      'POST',
      `/api/v1/usage/reservations/${reserved.json().reservation_id}/settle`,
      { key: limited.key, body: { quantity: 4 } },
    );
    expect(settled.statusCode).toBe(200);
    const refused = await server.call('POST', '/api/v1/usage/reserve', {
      key: limited.key,
      body: { operation: 'capture', quantity: 2 },
    });
    expect(refused.statusCode).toBe(429);
    expect(refused.json()).toMatchObject({ scope: 'key', key_usage: { credits_used: 4, credits_limit: 5 } });
  });

  describe.runIf(name === 'postgres')(
    name === 'postgres'
      ? 'two instances'
      : 'two instances (skipped on sqlite: they need the PostgreSQL change feed; SQLite is one process)',
    () => {
      let other: TestServer;
      /** Runs `test` with a second server on its own pool of the same schema. */
      const withOther = (test: () => Promise<void>) => async () => {
        const location = backend.location;
        if (location.kind !== 'postgres') throw new Error('postgres only');
        const otherStore: Store = createPostgresStore({
          connectionString: postgresUrl,
          schema: location.schema,
        });
        other = await openTestServer({ catalog: testCatalog(), store: otherStore });
        try {
          await test();
        } finally {
          await other.close();
          await otherStore.close();
        }
      };
      const captureThere = (key: string, index: number) =>
        other.call('POST', '/api/v1/usage/record', {
          key,
          body: { operation: 'capture', quantity: 1, idempotency_key: `there-${index}` },
        });

      it(
        "a key's credit limit lowered on one is obeyed by the other's very next request",
        withOther(async () => {
          const { id } = await server.newCustomer({ plan: 'bulk' });
          const key = (
            await admin('POST', `/api/v1/admin/customers/${id}/keys`, { limits: { credits: 10 } })
          ).json();
          // Instance 2 caches the key with its 10 credits and spends 3 of them.
          for (let index = 0; index < 3; index += 1) {
            expect((await captureThere(key.key, index)).statusCode).toBe(200);
          }
          const lowered = await admin('PATCH', `/api/v1/admin/keys/${key.id}`, { limits: { credits: 3 } });
          expect(lowered.statusCode).toBe(200);
          const refused = await captureThere(key.key, 3);
          expect(refused.statusCode).toBe(429);
          expect(refused.json()).toMatchObject({
            scope: 'key',
            key_id: key.id,
            key_usage: { credits_used: 3, credits_limit: 3 },
          });
        }),
      );

      it(
        "a key's minute limit lowered on one is obeyed by the other's very next request",
        withOther(async () => {
          const { id } = await server.newCustomer({ plan: 'bulk' });
          const key = (
            await admin('POST', `/api/v1/admin/customers/${id}/keys`, { limits: { requests_per_minute: 5 } })
          ).json();
          for (let index = 0; index < 2; index += 1) {
            expect((await captureThere(key.key, index)).statusCode).toBe(200);
          }
          const lowered = await admin('PATCH', `/api/v1/admin/keys/${key.id}`, {
            limits: { requests_per_minute: 2 },
          });
          expect(lowered.statusCode).toBe(200);
          const refused = await captureThere(key.key, 2);
          expect(refused.statusCode).toBe(429);
          expect(refused.json()).toMatchObject({ scope: 'key', key_id: key.id, limit: 2, window: 'minute' });
        }),
      );

      it(
        'a key revoked on one gets 401 on the other at once, and a revoked admin key too',
        withOther(async () => {
          const { id } = await server.newCustomer({ plan: 'bulk' });
          const key = (await admin('POST', `/api/v1/admin/customers/${id}/keys`, { name: 'ci' })).json();
          const kept = (await admin('POST', `/api/v1/admin/customers/${id}/keys`, { name: 'kept' })).json();
          expect((await captureThere(key.key, 0)).statusCode).toBe(200);
          expect((await captureThere(kept.key, 1)).statusCode).toBe(200);
          expect((await admin('DELETE', `/api/v1/admin/keys/${key.id}`)).statusCode).toBe(200);
          expect((await captureThere(key.key, 2)).statusCode).toBe(401);
          // The customer's other key still works on both.
          expect((await captureThere(kept.key, 3)).statusCode).toBe(200);

          // An admin key has no customer: its revocation travels by its key id.
          const ops = await server.tollgate.issueApiKey(null, 'ops');
          const list = () => other.call('GET', `/api/v1/admin/customers/${id}/usage/keys`, { key: ops.key });
          expect((await list()).statusCode).toBe(200);
          expect((await admin('DELETE', `/api/v1/admin/keys/${ops.record.id}`)).statusCode).toBe(200);
          expect((await list()).statusCode).toBe(401);
        }),
      );
    },
  );
});
