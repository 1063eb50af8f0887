/**
 * `POST /api/v1/usage/record` on SQLite and PostgreSQL: single events (debit, headers, replay,
 * conflict, denials, timestamps, rate counting) and batches (1,000 events in one transaction,
 * retried without double counting, a result per event), and tenant isolation of idempotency keys.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Backend, backends } from '../../../test/support/backends.js';
import { testCatalog } from '../../../test/support/test-catalog.js';
import { DAY_MS, MINUTE_MS } from '../../core/periods.js';
import type { UsageDebit } from '../../core/ports.js';
import { recordResultSchema } from '../decision-view.js';
import { openTestServer, type TestServer } from '../testing/open-test-server.js';

describe.each(backends)('POST /api/v1/usage/record on %s', (name, open) => {
  let backend: Backend;
  let server: TestServer;
  let commits: number[];

  beforeAll(async () => {
    backend = await open();
    const store = backend.store;
    // Count the store's transactions: a batch must be one of them.
    const commitUsage = store.commitUsage.bind(store);
    commits = [];
    store.commitUsage = (debits: readonly UsageDebit[], recordedAt: number) => {
      commits.push(debits.length);
      return commitUsage(debits, recordedAt);
    };
    server = await openTestServer({
      catalog: testCatalog(),
      store,
      commitConcurrency: name === 'postgres' ? 4 : 1,
    });
  });

  afterAll(async () => {
    await server.close();
    await backend.cleanup();
  });

  beforeEach(() => {
    commits.length = 0;
    // A fresh minute and day for every test, so rate windows start empty.
    server.clock.advance(DAY_MS);
  });

  const record = (key: string, body: unknown) => server.call('POST', '/api/v1/usage/record', { key, body });
  const usedOf = async (key: string) =>
    (await server.call('GET', '/api/v1/usage', { key })).json().credits_used;

  describe('one event', () => {
    it('debits the operation and answers the figures with the decision headers', async () => {
      const { key } = await server.newCustomer({ plan: 'free' });
      const response = await record(key, { operation: 'search', quantity: 5 });
      expect(response.statusCode).toBe(200);
      const body = recordResultSchema.parse(response.json());
      expect(body).toMatchObject({ cost: 0.5, credits_used: 0.5, quota_remaining: 99.5, quantity: 5 });
      expect(body.event_id).toMatch(/^usage_/);
      expect(response.headers).toMatchObject({
        'x-credits-used': '0.5',
        'x-credits-total': '0.5',
        'x-ratelimit-remaining-minute': '9',
      });
      expect(response.headers['idempotent-replayed']).toBeUndefined();
      expect(await usedOf(key)).toBe(0.5);
    });

    it('answers a retry with the same key the same, with Idempotent-Replayed, and debits once', async () => {
      const { key } = await server.newCustomer({ plan: 'free' });
      const event = { operation: 'capture', quantity: 2, idempotency_key: 'order-1' };
      const first = await record(key, event);
      const retry = await record(key, event);
      expect(retry.statusCode).toBe(200);
      expect(retry.headers['idempotent-replayed']).toBe('true');
      expect(retry.json()).toEqual(first.json());
      expect(retry.headers['x-ratelimit-remaining-minute']).toBe(
        first.headers['x-ratelimit-remaining-minute'],
      );
      expect(await usedOf(key)).toBe(2);
    });

    it('answers 409 when the key is reused with another payload, recording nothing', async () => {
      const { key } = await server.newCustomer({ plan: 'free' });
      const first = await record(key, { operation: 'capture', idempotency_key: 'k' });
      const conflict = await record(key, { operation: 'capture', quantity: 3, idempotency_key: 'k' });
      expect(conflict.statusCode).toBe(409);
      expect(conflict.json()).toEqual({
        error: 'conflict',
        message: 'This idempotency key was used for a different request.',
        event_id: first.json().event_id,
      });
      expect(await usedOf(key)).toBe(1);
    });

    it('answers 429 quota_exceeded with the figures, Retry-After and the upgrade link, recording nothing', async () => {
      const { id, key } = await server.newCustomer({ plan: 'bulk' });
      expect((await record(key, { operation: 'capture', quantity: 99 })).statusCode).toBe(200);
      const denied = await record(key, { operation: 'capture', quantity: 2 });
      expect(denied.statusCode).toBe(429);
      expect(denied.json()).toEqual({
        error: 'quota_exceeded',
        message: 'Monthly quota exceeded. Used 99/100 credits. This request needs 2.',
        usage: {
          customer_id: id,
          subscription_tier: 'bulk',
          credits_used: 99,
          monthly_limit: 100,
          quota_remaining: 1,
          usage_percentage: 99,
        },
        limit_source: 'plan',
        upgrade_url: 'https://example.test/upgrade',
        retry_after: Number(denied.headers['retry-after']),
        plan: 'bulk',
      });
      expect(denied.body).toContain('"credits_used":99,"monthly_limit":100,"quota_remaining":1,');
      expect(Number(denied.headers['retry-after'])).toBeGreaterThan(0);
      expect(await usedOf(key)).toBe(99);
    });

    it('counts each recorded event as a request: 429 rate_limited past 10 a minute', async () => {
      const { key } = await server.newCustomer({ plan: 'free' });
      for (let i = 0; i < 10; i++) expect((await record(key, { operation: 'search' })).statusCode).toBe(200);
      const denied = await record(key, { operation: 'search' });
      expect(denied.statusCode).toBe(429);
      expect(denied.json()).toMatchObject({
        error: 'rate_limited',
        message: 'Rate limit exceeded (10 requests per minute).',
        tier: 'free',
        limit: 10,
        window: 'minute',
      });
      expect(denied.json().retry_after).toBe(Number(denied.headers['retry-after']));
      expect(await usedOf(key)).toBe(1);
      server.clock.advance(MINUTE_MS);
      expect((await record(key, { operation: 'search' })).statusCode).toBe(200);
    });

    it('answers 403 account_suspended after the grace period, recording nothing', async () => {
      const { id, key } = await server.newCustomer({ plan: 'free' });
      await server.tollgate.updateCustomer(id, {
        status: 'past_due',
        paymentFailedAt: server.clock.now() - 4 * DAY_MS,
      });
      const denied = await record(key, { operation: 'capture' });
      expect(denied.statusCode).toBe(403);
      expect(denied.json()).toMatchObject({ error: 'account_suspended' });
      expect(await usedOf(key)).toBe(0);
    });

    it('takes ISO and epoch-second timestamps; the timestamp is part of the idempotency fingerprint', async () => {
      const { key } = await server.newCustomer({ plan: 'free' });
      const now = server.clock.now();
      const iso = new Date(now - 3 * DAY_MS).toISOString();
      const seconds = Math.floor((now - 3 * DAY_MS) / 1000);
      expect(
        (await record(key, { operation: 'capture', timestamp: iso, idempotency_key: 't' })).statusCode,
      ).toBe(200);
      const same = await record(key, { operation: 'capture', timestamp: seconds, idempotency_key: 't' });
      expect(same.headers['idempotent-replayed']).toBe('true');
      const moved = await record(key, { operation: 'capture', timestamp: seconds + 1, idempotency_key: 't' });
      expect(moved.statusCode).toBe(409);
    });

    it('refuses timestamps over 35 days old or 5 minutes ahead, and malformed ones', async () => {
      const { key } = await server.newCustomer({ plan: 'free' });
      const now = server.clock.now();
      const expected = 'expected an ISO 8601 time with a zone (2026-01-31T12:00:00Z) or epoch seconds';
      const cases: Array<[unknown, string]> = [
        [new Date(now - 36 * DAY_MS).toISOString(), 'more than 35 days in the past'],
        [Math.floor((now + 6 * MINUTE_MS) / 1000), 'more than 5 minutes in the future'],
        ['yesterday', expected],
        ['2026-01-01 10:00', expected],
        [1.5, expected],
      ];
      for (const [timestamp, message] of cases) {
        const response = await record(key, { operation: 'capture', timestamp });
        expect(response.statusCode).toBe(400);
        expect(response.json().issues).toContainEqual({ path: 'timestamp', message });
      }
      expect(
        (await record(key, { operation: 'capture', timestamp: Math.floor(now / 1000) + 60 })).statusCode,
      ).toBe(200);
      expect(await usedOf(key)).toBe(1);
    });

    it('keeps idempotency keys per customer: the same key on two customers records twice', async () => {
      const alice = await server.newCustomer({ plan: 'free' });
      const bob = await server.newCustomer({ plan: 'free' });
      const a = await record(alice.key, { operation: 'capture', idempotency_key: 'shared' });
      const b = await record(bob.key, { operation: 'capture', quantity: 3, idempotency_key: 'shared' });
      expect(b.statusCode).toBe(200);
      expect(b.headers['idempotent-replayed']).toBeUndefined();
      expect(b.json().event_id).not.toBe(a.json().event_id);
      expect(await usedOf(alice.key)).toBe(1);
      expect(await usedOf(bob.key)).toBe(3);
    });
  });

  describe('a batch', () => {
    const events = (count: number, prefix: string) =>
      Array.from({ length: count }, (_, index) => ({
        operation: 'search',
        idempotency_key: `${prefix}-${index}`,
      }));

    it('records 1,000 events in one transaction, and a retry of the batch records nothing more', async () => {
      const { key } = await server.newCustomer({ plan: 'bulk' });
      const batch = { events: events(1000, 'b') };
      const response = await record(key, batch);
      expect(response.statusCode).toBe(200);
      const body = response.json();
      expect(body.summary).toEqual({ recorded: 1000, duplicate: 0, denied: 0, conflict: 0, invalid: 0 });
      expect(body.results.map((result: { index: number }) => result.index)).toEqual([...Array(1000).keys()]);
      expect(new Set(body.results.map((result: { event_id: string }) => result.event_id)).size).toBe(1000);
      expect(commits).toEqual([1000]);
      expect(await usedOf(key)).toBe(100);

      const retry = await record(key, batch);
      expect(retry.json().summary).toEqual({
        recorded: 0,
        duplicate: 1000,
        denied: 0,
        conflict: 0,
        invalid: 0,
      });
      expect(retry.json().results[7].event_id).toBe(body.results[7].event_id);
      expect(await usedOf(key)).toBe(100);
    });

    it('commits each of 6 concurrent batches of 1,000 whole, never split across transactions', async () => {
      const { key } = await server.newCustomer({ plan: 'bulk' });
      const responses = await Promise.all(
        Array.from({ length: 6 }, (_, batch) => record(key, { events: events(1000, `c${batch}`) })),
      );
      const summaries = responses.map((response) => response.json().summary);
      // 100 credits hold 1,000 searches: the rest are denied, and every event was decided in a commit.
      expect(summaries.reduce((sum, summary) => sum + summary.recorded, 0)).toBe(1000);
      expect(summaries.reduce((sum, summary) => sum + summary.denied, 0)).toBe(5000);
      // The group committer takes up to 4,096 debits a transaction: a batch is one unit of it.
      expect(commits.reduce((sum, count) => sum + count, 0)).toBe(6000);
      expect(commits.every((count) => count % 1000 === 0)).toBe(true);
      expect(await usedOf(key)).toBe(100);
    });

    it('gives each event its own result: recorded, duplicate, conflict, invalid, denied', async () => {
      const { key } = await server.newCustomer({ plan: 'bulk' });
      const response = await record(key, {
        events: [
          { operation: 'capture', quantity: 60, idempotency_key: 'a' },
          { operation: 'capture', quantity: 60, idempotency_key: 'a' },
          { operation: 'capture', quantity: 5, idempotency_key: 'a' },
          { operation: 'teleport' },
          { operation: 'search', quantity: -1, extra: true },
          { operation: 'capture', timestamp: '1999-01-01T00:00:00Z' },
          { operation: 'capture', quantity: 60 },
          { operation: 'capture', quantity: 40 },
        ],
      });
      expect(response.statusCode).toBe(200);
      const results = response.json().results;
      expect(results.map((result: { status: string }) => result.status)).toEqual([
        'recorded',
        'duplicate',
        'conflict',
        'invalid',
        'invalid',
        'invalid',
        'denied',
        'recorded',
      ]);
      expect(results[1].event_id).toBe(results[0].event_id);
      expect(results[4].error.issues.map((issue: { path: string }) => issue.path).sort()).toEqual([
        'extra',
        'quantity',
      ]);
      // The body a single event would get, figures included.
      expect(results[6].error).toMatchObject({
        error: 'quota_exceeded',
        message: expect.stringMatching(/^Monthly quota exceeded\. Used \d+\/100 credits\./),
        usage: { subscription_tier: 'bulk', monthly_limit: 100 },
        upgrade_url: 'https://example.test/upgrade',
      });
      expect(response.json().summary).toEqual({
        recorded: 2,
        duplicate: 1,
        denied: 1,
        conflict: 1,
        invalid: 3,
      });
      expect(await usedOf(key)).toBe(100);
    });

    it('does not count batched events against the request-rate limits', async () => {
      const { key } = await server.newCustomer({ plan: 'free' });
      const response = await record(key, { events: events(50, 'r') });
      expect(response.json().summary.recorded).toBe(50);
      const usage = (await server.call('GET', '/api/v1/usage', { key })).json();
      expect(usage).toMatchObject({ credits_used: 5, requests_this_minute: 0 });
    });

    it('refuses a malformed envelope as a whole and records nothing', async () => {
      const { key } = await server.newCustomer({ plan: 'bulk' });
      const cases: Array<[unknown, string]> = [
        [{ events: [] }, 'events'],
        [{ events: events(1001, 'x') }, 'events'],
        [{ events: 'all of them' }, 'events'],
        [{ events: events(2, 'y'), dry_run: true }, 'dry_run'],
      ];
      for (const [body, path] of cases) {
        const response = await record(key, body);
        expect(response.statusCode).toBe(400);
        expect(response.json().issues.map((issue: { path: string }) => issue.path)).toContain(path);
      }
      expect(await usedOf(key)).toBe(0);
      expect(commits).toEqual([]);
    });
  });
});
