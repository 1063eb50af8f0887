/**
 * Who may call what, for every declared route at once: without a key, with an unknown or revoked key
 * -> 401; a customer key on an admin route and an admin key on a customer route -> 403; both header
 * styles work. And tenant isolation: the customer is the key's, never one named in a request, and one
 * customer's usage never shows in another's figures.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testCatalog } from '../../test/support/test-catalog.js';
import { documentedRoutesOf } from './create-server.js';
import { openTestServer, type TestServer } from './testing/open-test-server.js';

describe('access rules', () => {
  let server: TestServer;
  let alice: { id: string; key: string };
  let bob: { id: string; key: string };
  let revokedKey: string;

  beforeAll(async () => {
    server = await openTestServer({ catalog: testCatalog(), demoRoutes: true });
    alice = await server.newCustomer({ plan: 'pro' });
    bob = await server.newCustomer({ plan: 'pro' });
    const revoked = await server.tollgate.issueApiKey(alice.id);
    await server.tollgate.revokeApiKey(revoked.record.id);
    revokedKey = revoked.key;
  });

  afterAll(async () => {
    await server.close();
  });

  const routeUrl = (url: string) => url.replace(':id', alice.id);

  it('answers 401 on every keyed route without a key, with an unknown key and with a revoked key', async () => {
    const keyed = documentedRoutesOf(server.app).filter((route) => route.access !== 'public');
    expect(keyed.length).toBeGreaterThan(10);
    for (const route of keyed) {
      for (const headers of [
        {},
        { 'x-api-key': 'tg_live_not_a_key' },
        { authorization: `Bearer ${revokedKey}` },
        { authorization: `Basic ${alice.key}` },
        { 'x-api-key': 'x'.repeat(10_000) },
      ]) {
        const response = await server.app.inject({ method: route.method, url: routeUrl(route.url), headers });
        expect(response.statusCode, `${route.method} ${route.url}`).toBe(401);
        expect(response.json()).toEqual({ error: 'unauthorized', message: 'A valid API key is required.' });
      }
    }
  });

  it('answers 403 to the wrong kind of key', async () => {
    for (const route of documentedRoutesOf(server.app)) {
      const wrongKey = { customer: server.adminKey, gated: server.adminKey, admin: alice.key }[
        route.access as 'customer'
      ];
      if (wrongKey === undefined) continue;
      const response = await server.call(route.method, routeUrl(route.url), { key: wrongKey });
      expect(response.statusCode, `${route.method} ${route.url}`).toBe(403);
      expect(response.json().error).toBe('forbidden');
    }
  });

  it('accepts the key as X-API-Key or as a Bearer token', async () => {
    const bearer = await server.app.inject({
      method: 'GET',
      url: '/api/v1/usage',
      headers: { authorization: `Bearer ${alice.key}` },
    });
    expect(bearer.json().customer_id).toBe(alice.id);
    const header = await server.call('GET', '/api/v1/usage', { key: alice.key });
    expect(header.json().customer_id).toBe(alice.id);
  });

  it("never lets a request name the customer: another customer's id is an unknown field", async () => {
    const query = await server.call('GET', `/api/v1/usage?customer_id=${bob.id}`, { key: alice.key });
    expect(query.statusCode).toBe(400);
    const body = await server.call('POST', '/api/v1/usage/record', {
      key: alice.key,
      body: { operation: 'capture', customer_id: bob.id },
    });
    expect(body.statusCode).toBe(400);
    expect(body.json().issues).toEqual([{ path: 'customer_id', message: 'unknown field' }]);
    const forged = await server.call('GET', '/api/v1/usage', {
      key: alice.key,
      headers: { 'x-customer-id': bob.id },
    });
    expect(forged.json().customer_id).toBe(alice.id);
  });

  it("keeps each customer's figures to itself", async () => {
    await server.call('POST', '/api/v1/usage/record', {
      key: bob.key,
      body: { operation: 'capture', quantity: 7 },
    });
    await server.call('POST', '/api/v1/usage/storage', { key: bob.key, body: { bytes: 99, items: 9 } });
    const mine = (await server.call('GET', '/api/v1/usage', { key: alice.key })).json();
    expect(mine).toMatchObject({ customer_id: alice.id, credits_used: 0, storage_bytes: 0 });
    const theirs = (await server.call('GET', '/api/v1/usage', { key: bob.key })).json();
    expect(theirs).toMatchObject({ customer_id: bob.id, credits_used: 7, storage_bytes: 99 });
    expect(JSON.stringify(mine)).not.toContain(bob.id);
  });

  it("answers 403, never the data, when a customer key asks for another customer's resources", async () => {
    for (const [method, url] of [
      ['GET', `/api/v1/admin/customers/${bob.id}`],
      ['GET', `/api/v1/admin/customers?search=${bob.id}`],
      ['POST', `/api/v1/admin/customers/${bob.id}/keys`],
    ] as const) {
      const response = await server.call(method, url, { key: alice.key });
      expect(response.statusCode).toBe(403);
      expect(response.body).not.toContain(bob.id);
    }
  });
});
