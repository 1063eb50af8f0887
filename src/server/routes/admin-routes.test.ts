/**
 * The admin API over a real SQLite store: creating customers (key shown once), listing with
 * pagination, filters, sorting and usage, reading one, issuing and revoking keys, and reactivation by hand
 * with its audit entry in the log. Customer keys are refused with 403, missing keys with 401.
 */
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testCatalog } from '../../../test/support/test-catalog.js';
import { DAY_MS } from '../../core/periods.js';
import { customerSchema, issuedKeySchema } from '../customer-view.js';
import { openTestServer, type TestServer } from '../testing/open-test-server.js';

describe('admin routes', () => {
  let server: TestServer;
  let logLines: Array<Record<string, unknown>>;

  beforeEach(async () => {
    logLines = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => logLines.push(JSON.parse(line)) });
    server = await openTestServer({ catalog: testCatalog(), loggerInstance: logger });
  });

  afterEach(async () => {
    await server.close();
  });

  const admin = (method: string, url: string, body?: unknown) =>
    server.call(method, url, { key: server.adminKey, ...(body !== undefined ? { body } : {}) });

  describe('POST /api/v1/admin/customers', () => {
    it('creates a customer and returns its first key once; the key works at once', async () => {
      const response = await admin('POST', '/api/v1/admin/customers', {
        external_id: 'user-42',
        email: 'ada@example.com',
        name: 'Ada',
        plan: 'pro',
        metadata: { team: 'core' },
        key_name: 'production',
      });
      expect(response.statusCode).toBe(201);
      const { customer, api_key } = response.json();
      expect(customerSchema.parse(customer)).toMatchObject({
        external_id: 'user-42',
        email: 'ada@example.com',
        plan: 'pro',
        status: 'active',
        metadata: { team: 'core' },
      });
      expect(issuedKeySchema.parse(api_key)).toMatchObject({ customer_id: customer.id, name: 'production' });
      expect(api_key.key.startsWith(api_key.prefix)).toBe(true);

      const usage = await server.call('GET', '/api/v1/usage', { key: api_key.key });
      expect(usage.json()).toMatchObject({ customer_id: customer.id, subscription_tier: 'pro' });
      const read = await admin('GET', `/api/v1/admin/customers/${customer.id}`);
      expect(JSON.stringify(read.json())).not.toContain(api_key.key);
    });

    it('starts on the default plan with no fields at all', async () => {
      const response = await admin('POST', '/api/v1/admin/customers');
      expect(response.statusCode).toBe(201);
      expect(response.json().customer).toMatchObject({ plan: 'free', external_id: null, email: null });
    });

    it('answers 409 for an external id already taken, creating nothing', async () => {
      await admin('POST', '/api/v1/admin/customers', { external_id: 'dup' });
      const again = await admin('POST', '/api/v1/admin/customers', { external_id: 'dup' });
      expect(again.statusCode).toBe(409);
      expect(again.json().error).toBe('conflict');
      expect((await server.store.listCustomers({ limit: 100 })).customers).toHaveLength(1);
    });

    it('refuses an unknown plan, a bad email, long strings and unknown fields, naming each', async () => {
      const response = await admin('POST', '/api/v1/admin/customers', {
        email: 'not-an-email',
        name: 'x'.repeat(201),
        tier: 'pro',
      });
      expect(response.statusCode).toBe(400);
      expect(
        response
          .json()
          .issues.map((issue: { path: string }) => issue.path)
          .sort(),
      ).toEqual(['email', 'name', 'tier']);
      const plan = await admin('POST', '/api/v1/admin/customers', { plan: 'platinum' });
      expect(plan.json().issues).toEqual([{ path: 'plan', message: "unknown plan 'platinum'" }]);
      expect((await server.store.listCustomers({ limit: 100 })).customers).toHaveLength(0);
    });

    it('answers 403 to a customer key and 401 without a key', async () => {
      const { key } = await server.newCustomer();
      const forbidden = await server.call('POST', '/api/v1/admin/customers', { key, body: {} });
      expect(forbidden.statusCode).toBe(403);
      expect(forbidden.json()).toEqual({ error: 'forbidden', message: 'This endpoint needs an admin key.' });
      expect((await server.call('POST', '/api/v1/admin/customers', { body: {} })).statusCode).toBe(401);
    });
  });

  describe('GET /api/v1/admin/customers', () => {
    it('pages through customers in id order with starting_after', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await server.newCustomer({ name: `c${i}` })).id);
      const seen: string[] = [];
      let after: string | null = null;
      let pages = 0;
      do {
        const page = await admin(
          'GET',
          `/api/v1/admin/customers?limit=2${after ? `&starting_after=${after}` : ''}`,
        );
        expect(page.statusCode).toBe(200);
        const body = page.json();
        seen.push(...body.data.map((customer: { id: string }) => customer.id));
        after = body.next_starting_after;
        expect(body.has_more).toBe(after !== null);
        pages += 1;
      } while (after !== null);
      expect(seen).toEqual([...ids].sort());
      expect(pages).toBe(3);
    });

    it('filters by plan, status and search, and shows each customer usage', async () => {
      const pro = await server.newCustomer({ plan: 'pro', email: 'grace@example.com' });
      const free = await server.newCustomer({ plan: 'free', name: 'Linus' });
      await server.tollgate.updateCustomer(free.id, {
        status: 'past_due',
        paymentFailedAt: server.clock.now(),
      });
      await server.call('POST', '/api/v1/usage/record', {
        key: pro.key,
        body: { operation: 'capture', quantity: 4 },
      });

      const byPlan = (await admin('GET', '/api/v1/admin/customers?plan=pro')).json();
      expect(byPlan.data.map((customer: { id: string }) => customer.id)).toEqual([pro.id]);
      expect(byPlan.data[0].usage).toMatchObject({
        credits_used: 4,
        monthly_limit: 10,
        quota_remaining: 6,
      });
      const byStatus = (await admin('GET', '/api/v1/admin/customers?status=past_due')).json();
      expect(byStatus.data.map((customer: { id: string }) => customer.id)).toEqual([free.id]);
      // Past its grace period the same customer is listed as suspended (computed, not stored).
      server.clock.advance(server.tollgate.gracePeriodMs);
      const ids = async (status: string) =>
        (await admin('GET', `/api/v1/admin/customers?status=${status}`))
          .json()
          .data.map((customer: { id: string; status: string }) => [customer.id, customer.status]);
      expect(await ids('suspended')).toEqual([[free.id, 'suspended']]);
      expect(await ids('past_due')).toEqual([]);
      const bySearch = (await admin('GET', '/api/v1/admin/customers?search=GRACE')).json();
      expect(bySearch.data.map((customer: { id: string }) => customer.id)).toEqual([pro.id]);
    });

    /** Every page of `query` (2 at a time), following next_starting_after: the ids and statuses. */
    async function pageThrough(query: string) {
      const seen: Array<{ id: string; name: string | null; status: string }> = [];
      let after: string | null = null;
      do {
        const page = await admin(
          'GET',
          `/api/v1/admin/customers?limit=2&${query}${after ? `&starting_after=${after}` : ''}`,
        );
        expect(page.statusCode, query).toBe(200);
        const body = page.json();
        seen.push(...body.data);
        after = body.next_starting_after;
        if (after !== null) expect(after).toBe(body.data.at(-1).id);
      } while (after !== null && seen.length < 100);
      return seen;
    }

    it('sorts by name (else email, else id) descending over every page, ties in id order', async () => {
      const names = ['bob', 'Dora', null, 'alice', 'carol', 'Bob', null];
      const created: Array<{ id: string; shown: string }> = [];
      for (const name of names) {
        const customer = await server.newCustomer(name === null ? {} : { name });
        // What the console shows for a customer (no email here), and so what `name` sorts by.
        created.push({ id: customer.id, shown: (name ?? customer.id).toLowerCase() });
      }
      const byNameDesc = [...created]
        .sort((a, b) => (a.shown < b.shown ? 1 : a.shown > b.shown ? -1 : b.id < a.id ? -1 : 1))
        .map((customer) => customer.id);
      const seen = await pageThrough('sort=-name');
      expect(seen.map((customer) => customer.id)).toEqual(byNameDesc);
      // The two Bobs tie on the key and come in id order (descending).
      const bobs = seen.filter((customer) => customer.name?.toLowerCase() === 'bob').map((c) => c.id);
      expect(bobs).toEqual([...bobs].sort().reverse());
      // Ascending is the exact reverse; id/-id stay the creation order.
      const ascending = await pageThrough('sort=name');
      expect(ascending.map((customer) => customer.id)).toEqual([...byNameDesc].reverse());
      const ids = created.map((customer) => customer.id).sort();
      expect((await pageThrough('sort=-created')).map((customer) => customer.id)).toEqual([...ids].reverse());
      expect((await pageThrough('sort=-id')).map((customer) => customer.id)).toEqual([...ids].reverse());
      expect((await pageThrough('sort=created')).map((customer) => customer.id)).toEqual(ids);
    });

    it('sorts by status as it stands now, with a filter: past_due out of grace among the suspended', async () => {
      const grace = server.tollgate.gracePeriodMs;
      const make = async (status: 'active' | 'past_due' | 'suspended', failedAgoMs?: number) => {
        const { id } = await server.newCustomer({ plan: 'pro' });
        if (status !== 'active') {
          await server.tollgate.updateCustomer(id, {
            status,
            ...(failedAgoMs !== undefined ? { paymentFailedAt: server.clock.now() - failedAgoMs } : {}),
          });
        }
        return id;
      };
      const active = await make('active');
      const graceOver = await make('past_due', grace + 1000);
      const suspended = await make('suspended');
      const inGrace = await make('past_due', 1000);
      await server.newCustomer({ plan: 'free' });

      const seen = await pageThrough('plan=pro&sort=status');
      expect(seen.map((customer) => customer.status)).toEqual([
        'active',
        'past_due',
        'suspended',
        'suspended',
      ]);
      expect(seen.slice(0, 2).map((customer) => customer.id)).toEqual([active, inGrace]);
      expect(
        seen
          .slice(2)
          .map((customer) => customer.id)
          .sort(),
      ).toEqual([graceOver, suspended].sort());
      const descending = await pageThrough('plan=pro&sort=-status');
      expect(descending.map((customer) => customer.id)).toEqual(
        seen.map((customer) => customer.id).reverse(),
      );
      const onlySuspended = await pageThrough('status=suspended&sort=-status');
      expect(onlySuspended.map((customer) => customer.id).sort()).toEqual([graceOver, suspended].sort());
    });

    it('refuses a limit over 100, a non-numeric limit, an unknown status or sort and unknown fields', async () => {
      for (const query of [
        'limit=101',
        'limit=0',
        'limit=abc',
        'status=happy',
        'sort=usage',
        'sort=-',
        'sort=Name',
        'tier=pro',
        'limit=1&limit=2',
      ]) {
        const response = await admin('GET', `/api/v1/admin/customers?${query}`);
        expect(response.statusCode, query).toBe(400);
        expect(response.json().error).toBe('invalid_request');
      }
    });
  });

  describe('GET /api/v1/admin/customers/:id', () => {
    it('shows the customer with full usage and its keys (prefixes only)', async () => {
      const { id, key } = await server.newCustomer({ plan: 'free' });
      await server.call('POST', '/api/v1/usage/record', { key, body: { operation: 'search' } });
      const response = await admin('GET', `/api/v1/admin/customers/${id}`);
      expect(response.statusCode).toBe(200);
      const body = response.json();
      expect(body.customer.id).toBe(id);
      expect(body.usage).toMatchObject({ customer_id: id, credits_used: 0.1, requests_this_minute: 1 });
      expect(body.api_keys).toHaveLength(1);
      expect(body.api_keys[0]).not.toHaveProperty('key');
      expect(key.startsWith(body.api_keys[0].prefix)).toBe(true);
    });

    it('answers 404 for an unknown customer', async () => {
      const response = await admin('GET', '/api/v1/admin/customers/cus_nope');
      expect(response.statusCode).toBe(404);
      expect(response.json()).toEqual({ error: 'not_found', message: "No customer 'cus_nope'." });
    });
  });

  describe('keys', () => {
    it('issues a key (shown once) and revokes it: the key then answers 401', async () => {
      const { id } = await server.newCustomer();
      const issued = await admin('POST', `/api/v1/admin/customers/${id}/keys`, { name: 'ci' });
      expect(issued.statusCode).toBe(201);
      const key = issuedKeySchema.parse(issued.json());
      expect((await server.call('GET', '/api/v1/usage', { key: key.key })).statusCode).toBe(200);

      const revoked = await admin('DELETE', `/api/v1/admin/keys/${key.id}`);
      expect(revoked.statusCode).toBe(200);
      expect(revoked.json()).toEqual({ id: key.id, revoked: true });
      expect((await server.call('GET', '/api/v1/usage', { key: key.key })).statusCode).toBe(401);
      expect((await admin('DELETE', `/api/v1/admin/keys/${key.id}`)).statusCode).toBe(200);
    });

    it('answers 404 for an unknown customer or key, and 400 for unknown body fields', async () => {
      expect((await admin('POST', '/api/v1/admin/customers/cus_nope/keys', {})).statusCode).toBe(404);
      expect((await admin('DELETE', '/api/v1/admin/keys/key_nope')).statusCode).toBe(404);
      const { id } = await server.newCustomer();
      const bad = await admin('POST', `/api/v1/admin/customers/${id}/keys`, { name: 'x', scope: 'all' });
      expect(bad.statusCode).toBe(400);
      expect((await server.store.listApiKeys(id)).length).toBe(1);
    });

    it('lets a customer key neither issue nor revoke keys (403)', async () => {
      const alice = await server.newCustomer();
      const bob = await server.newCustomer();
      const bobKeys = await server.store.listApiKeys(bob.id);
      const issue = await server.call('POST', `/api/v1/admin/customers/${alice.id}/keys`, {
        key: alice.key,
        body: {},
      });
      expect(issue.statusCode).toBe(403);
      const revoke = await server.call('DELETE', `/api/v1/admin/keys/${bobKeys[0]?.id}`, { key: alice.key });
      expect(revoke.statusCode).toBe(403);
      expect((await server.call('GET', '/api/v1/usage', { key: bob.key })).statusCode).toBe(200);
    });
  });

  describe('POST /api/v1/admin/customers/:id/reactivate', () => {
    it('clears a suspension, restores access and writes an audit entry', async () => {
      const { id, key } = await server.newCustomer();
      const failedAt = server.clock.now() - 5 * DAY_MS;
      await server.tollgate.updateCustomer(id, { status: 'past_due', paymentFailedAt: failedAt });
      const before = await server.call('POST', '/api/v1/usage/record', {
        key,
        body: { operation: 'capture' },
      });
      expect(before.statusCode).toBe(403);

      const response = await admin('POST', `/api/v1/admin/customers/${id}/reactivate`, {
        reason: 'paid by wire',
      });
      expect(response.statusCode).toBe(200);
      expect(response.json().customer).toMatchObject({ status: 'active', payment_failed_at: null });
      const after = await server.call('POST', '/api/v1/usage/record', {
        key,
        body: { operation: 'capture' },
      });
      expect(after.statusCode).toBe(200);

      const adminKeyId = (await server.tollgate.authenticate(server.adminKey))?.keyId;
      expect(logLines.filter((line) => line.audit)).toEqual([
        expect.objectContaining({
          audit: 'customer.reactivated',
          customer_id: id,
          admin_key_id: adminKeyId,
          previous_status: 'suspended',
          payment_failed_at: failedAt,
          reason: 'paid by wire',
        }),
      ]);
      expect(JSON.stringify(logLines)).not.toContain(server.adminKey);
    });

    it('answers 409 for a customer that is not suspended and 404 for an unknown one', async () => {
      const { id } = await server.newCustomer();
      const active = await admin('POST', `/api/v1/admin/customers/${id}/reactivate`);
      expect(active.statusCode).toBe(409);
      expect(active.json()).toEqual({ error: 'conflict', message: 'The customer is active, not suspended.' });
      expect((await admin('POST', '/api/v1/admin/customers/cus_nope/reactivate')).statusCode).toBe(404);
      expect(logLines.filter((line) => line.audit)).toEqual([]);
    });
  });
});
