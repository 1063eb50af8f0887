/**
 * The grants admin API on SQLite and PostgreSQL: make (credits read exactly, or operation units),
 * retry, conflict, bad bodies, list, revoke, the audit rows (who, before, after), and what the customer
 * sees: a `grants` line in its usage, `quota_remaining` and `X-Credits-Remaining` counting the grant
 * while `monthly_limit` stays the plan's, and the operation month's remaining.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { backends } from '../../../test/support/backends.js';
import { hashApiKey } from '../../core/api-keys.js';
import { parseCatalog } from '../../core/catalog/parse-catalog.js';
import { openTestServer, type TestServer } from '../testing/open-test-server.js';

const catalog = parseCatalog({
  currency: 'usd',
  default_plan: 'basic',
  upgrade_url: '/billing',
  operations: { call: 1, search: 0.1, tokens: 0 },
  plans: { basic: { name: 'Basic', limits: { credits: 10, operations: { tokens: { month: 100 } } } } },
});

describe.each(backends)('grants admin API on %s', (_name, open) => {
  let backend: Awaited<ReturnType<typeof open>>;
  let server: TestServer;

  beforeAll(async () => {
    backend = await open();
  });
  afterAll(async () => {
    await backend?.cleanup();
  });
  beforeEach(async () => {
    server = await openTestServer({ catalog, store: backend.store });
  });
  afterEach(async () => {
    await server.close();
  });

  const admin = (method: string, url: string, body?: unknown) =>
    server.call(method, url, { key: server.adminKey, ...(body !== undefined ? { body } : {}) });

  it('grants credits once per key, shows them to the customer, and audits who made them', async () => {
    const { id, key } = await server.newCustomer({});
    const body = { credits: 2.5, expires: 'until_used', idempotency_key: 'deal-7', reason: 'launch' };
    const made = await admin('POST', `/api/v1/admin/customers/${id}/grants`, body);
    expect(made.statusCode).toBe(201);
    const grant = made.json().grant;
    expect(grant).toMatchObject({
      kind: 'credits',
      operation: null,
      amount: 2.5,
      used: 0,
      remaining: 2.5,
      status: 'active',
      expires: 'until_used',
      expires_at: null,
      reason: 'launch',
    });

    const retry = await admin('POST', `/api/v1/admin/customers/${id}/grants`, body);
    expect(retry.statusCode).toBe(200);
    expect(retry.json().grant.id).toBe(grant.id);
    const conflict = await admin('POST', `/api/v1/admin/customers/${id}/grants`, { ...body, credits: 3 });
    expect(conflict.statusCode).toBe(409);
    expect(conflict.json()).toMatchObject({ error: 'conflict', grant_id: grant.id });

    // 11 calls of 1 credit: 2.5 from the grant first, then 8.5 of the plan's 10.
    for (let index = 0; index < 11; index++) {
      const recorded = await server.call('POST', '/api/v1/usage/record', {
        key,
        body: { operation: 'call', idempotency_key: `call-${index}` },
      });
      expect(recorded.statusCode).toBe(200);
      if (index === 10) expect(recorded.headers['x-credits-remaining']).toBe('1.5');
    }
    const usage = (await server.call('GET', '/api/v1/usage', { key })).json();
    expect(usage).toMatchObject({
      credits_used: 11,
      monthly_limit: 10,
      quota_remaining: 1.5,
      quota_exceeded: false,
    });
    // A used-up grant leaves the customer's line; the admin list keeps it.
    expect(usage.grants).toEqual([]);
    const listed = (await admin('GET', `/api/v1/admin/customers/${id}/grants`)).json();
    expect(listed.data).toMatchObject([{ id: grant.id, used: 2.5, remaining: 0, status: 'used' }]);

    const adminKeyId = (await server.store.findApiKeyByHash(hashApiKey(server.adminKey)))?.id;
    const { entries } = await server.store.listAudit({ customerId: id, limit: 10 });
    expect(entries.map((entry) => [entry.action, entry.actor])).toEqual([
      ['grant.created', `admin:${adminKeyId}`],
    ]);
    expect(entries[0]?.details).toMatchObject({ grantId: grant.id, before: null, after: { amount: 2.5 } });
  });

  it('shows a grant left in the usage line and the operation month, and revokes what is unspent', async () => {
    const { id, key } = await server.newCustomer({});
    const made = await admin('POST', `/api/v1/admin/customers/${id}/grants`, {
      operation: 'tokens',
      quantity: 40,
      expires: 'period',
      idempotency_key: 'tokens-40',
    });
    expect(made.statusCode).toBe(201);
    const grant = made.json().grant;
    expect(grant).toMatchObject({
      kind: 'operation',
      operation: 'tokens',
      amount: 40,
      expires_at: '2026-02-01T00:00:00.000Z',
    });
    await server.call('POST', '/api/v1/usage/record', {
      key,
      body: { operation: 'tokens', quantity: 30, idempotency_key: 't-1' },
    });
    const usage = (await server.call('GET', '/api/v1/usage', { key })).json();
    expect(usage.operations.tokens.month).toMatchObject({ used: 30, limit: 100, remaining: 110 });
    expect(usage.grants).toEqual([
      {
        id: grant.id,
        operation: 'tokens',
        amount: 40,
        used: 30,
        remaining: 10,
        expires: 'period',
        expires_at: '2026-02-01T00:00:00.000Z',
      },
    ]);

    const revoked = await admin('DELETE', `/api/v1/admin/customers/${id}/grants/${grant.id}`);
    expect(revoked.statusCode).toBe(200);
    expect(revoked.json().grant).toMatchObject({ used: 30, remaining: 0, status: 'revoked' });
    const after = (await server.call('GET', '/api/v1/usage', { key })).json();
    expect(after.grants).toEqual([]);
    // The 30 tokens used were the grant's: the plan's 100 are all left.
    expect(after.operations.tokens.month.remaining).toBe(100);
    expect((await admin('DELETE', `/api/v1/admin/customers/${id}/grants/${grant.id}`)).statusCode).toBe(200);
    const { entries } = await server.store.listAudit({ customerId: id, limit: 10 });
    expect(entries.map((entry) => entry.action)).toEqual(['grant.revoked', 'grant.created']);
    expect(entries[0]?.details).toMatchObject({
      before: { remaining: 10, status: 'active' },
      after: { remaining: 0, status: 'revoked' },
    });
    expect((await admin('DELETE', `/api/v1/admin/customers/${id}/grants/tggrant_nope`)).statusCode).toBe(404);
  });

  it('refuses bodies that name no grant or two, unknown customers and operations, writing nothing', async () => {
    const { id } = await server.newCustomer({});
    const post = (body: unknown) => admin('POST', `/api/v1/admin/customers/${id}/grants`, body);
    const both = await post({
      credits: 1,
      operation: 'tokens',
      quantity: 1,
      expires: 'period',
      idempotency_key: 'a',
    });
    expect(both.statusCode).toBe(400);
    expect(both.json().issues).toEqual([{ path: 'credits', message: expect.stringContaining('not both') }]);
    const precise = await post({ credits: 0.0001, expires: 'period', idempotency_key: 'b' });
    expect(precise.json().issues[0].path).toBe('credits');
    const unlimited = await post({
      operation: 'search',
      quantity: 5,
      expires: 'period',
      idempotency_key: 'c',
    });
    expect(unlimited.statusCode).toBe(400);
    expect(unlimited.json().issues[0]).toMatchObject({
      path: 'operation',
      message: expect.stringContaining('per month'),
    });
    const past = await post({
      credits: 1,
      expires: 'until_used',
      expires_at: '2025-12-31T00:00:00Z',
      idempotency_key: 'e',
    });
    expect(past.json().issues).toEqual([{ path: 'expires_at', message: 'expected a time in the future' }]);
    const dated = await post({
      credits: 1,
      expires: 'period',
      expires_at: '2026-12-31T00:00:00Z',
      idempotency_key: 'f',
    });
    expect(dated.json().issues[0]).toMatchObject({
      path: 'expires_at',
      message: expect.stringContaining('until_used'),
    });
    const noKey = await post({ credits: 1, expires: 'period' });
    expect(noKey.json().issues[0].path).toBe('idempotency_key');
    expect(
      (
        await admin('POST', '/api/v1/admin/customers/tgcus_nope/grants', {
          credits: 1,
          expires: 'period',
          idempotency_key: 'd',
        })
      ).statusCode,
    ).toBe(404);
    expect((await admin('GET', `/api/v1/admin/customers/${id}/grants`)).json().data).toEqual([]);
    expect(
      (
        await server.call('GET', `/api/v1/admin/customers/${id}/grants`, {
          key: (await server.newCustomer({})).key,
        })
      ).statusCode,
    ).toBe(403);
  });
});
