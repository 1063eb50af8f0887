/**
 * The engine end to end on real stores: exact admission under real concurrency, the order of checks,
 * denied requests recording nothing, idempotent retries, suspension after the grace period and quota
 * reset at the new period, on SQLite and on PostgreSQL.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/core/clock.js';
import { DAY_MS } from '../src/core/periods.js';
import { createTollgate, type Tollgate } from '../src/core/tollgate.js';
import {
  type Backend,
  backends,
  type CountersHandle,
  openMemoryCounters,
  openRedisCounters,
} from './support/backends.js';
import { testCatalog } from './support/test-catalog.js';

describe.each(backends)('engine on %s', (_name, open) => {
  let backend: Backend;
  let counters: CountersHandle;
  let clock: ManualClock;
  let tollgate: Tollgate;

  beforeEach(async () => {
    backend = await open();
    counters = openMemoryCounters();
    clock = new ManualClock(Date.UTC(2026, 4, 10, 12));
    tollgate = createTollgate({
      catalog: testCatalog(),
      store: backend.store,
      counters: counters.counters,
      clock,
      commitConcurrency: backend.name === 'postgres' ? 4 : 1,
    });
  });

  afterEach(async () => {
    await tollgate.close();
    await counters.cleanup();
    await backend.cleanup();
  });

  it("makes customer ids of its own prefix, not Stripe's cus_, and still serves customers with the old ids", async () => {
    const made = await tollgate.createCustomer({ plan: 'free' });
    expect(made.id).toMatch(/^tgcus_[0-9a-z]{19}$/);
    const old = await backend.store.createCustomer({
      id: 'cus_0mkfedmo087mlo20002',
      externalId: null,
      email: null,
      name: null,
      plan: 'free',
      status: 'active',
      metadata: {},
      createdAt: clock.now(),
    });
    const key = await tollgate.issueApiKey(old.id);
    expect(await tollgate.authenticate(key.key)).toMatchObject({ kind: 'customer', customerId: old.id });
    expect((await tollgate.consume(old.id, { operation: 'search' })).allowed).toBe(true);
  });

  it('admits exactly 100 of 1,000 concurrent 1-credit requests when 100 credits are left', async () => {
    const customer = await tollgate.createCustomer({ plan: 'bulk' });
    // Use 0 of 100 credits: fire 1,000 at once.
    const decisions = await Promise.all(
      Array.from({ length: 1000 }, () => tollgate.consume(customer.id, { operation: 'capture' })),
    );
    expect(decisions.filter((d) => d.allowed)).toHaveLength(100);
    expect(decisions.filter((d) => d.reason === 'quota_exceeded')).toHaveLength(900);
    const usage = await tollgate.usage(customer.id);
    expect(usage.used).toBe(100_000);
    expect(await backend.store.sumUsageEvents(customer.id, usage.periodStart)).toEqual({
      cost: 100_000,
      events: 100,
    });
  });

  it('counts ten 0.1-credit searches as exactly one credit', async () => {
    const customer = await tollgate.createCustomer({ plan: 'bulk' });
    for (let i = 0; i < 10; i++) await tollgate.consume(customer.id, { operation: 'search' });
    expect((await tollgate.usage(customer.id)).used).toBe(1000);
  });

  it('denies by rate limit with Retry-After and records nothing for the denied request', async () => {
    const customer = await tollgate.createCustomer({ plan: 'free' });
    for (let i = 0; i < 10; i++)
      expect((await tollgate.consume(customer.id, { operation: 'capture' })).allowed).toBe(true);
    const denied = await tollgate.consume(customer.id, { operation: 'capture' });
    expect(denied).toMatchObject({ allowed: false, reason: 'rate_limited', status: 429 });
    expect(denied.headers['Retry-After']).toBe('60');
    expect(denied.headers['X-RateLimit-Remaining-Minute']).toBe('0');
    expect(denied.headers['X-RateLimit-Limit-Day']).toBe('100');
    expect((await tollgate.usage(customer.id)).used).toBe(10_000);
    clock.advance(60_000);
    const next = await tollgate.consume(customer.id, { operation: 'capture' });
    expect(next.allowed).toBe(true);
    expect(next.headers['X-RateLimit-Remaining-Minute']).toBe('9');
    expect(next.headers['X-RateLimit-Remaining-Day']).toBe('89');
  });

  it('takes back the rate hit when the credit check denies', async () => {
    const customer = await tollgate.createCustomer({ plan: 'free' });
    await tollgate.updateCustomer(customer.id, { plan: 'free' });
    // 100 credits: spend them in 10 big requests, then the 11th minute's requests are quota-denied.
    for (let i = 0; i < 10; i++) await tollgate.consume(customer.id, { operation: 'capture', quantity: 10 });
    clock.advance(60_000);
    const denied = await tollgate.consume(customer.id, { operation: 'capture' });
    expect(denied.reason).toBe('quota_exceeded');
    expect(denied.headers['X-Credits-Remaining']).toBe('0');
    // The denial shows the windows as they are after its hit was taken back.
    expect(denied.headers['X-RateLimit-Remaining-Minute']).toBe('10');
    const check = await tollgate.check(customer.id, {});
    expect(check.rate.minute?.remaining).toBe(10);
    expect(check.rate.day?.remaining).toBe(90);
  });

  it('refuses a feature the plan lacks with 403 and admits it on a plan that has it', async () => {
    const customer = await tollgate.createCustomer({ plan: 'free' });
    expect(await tollgate.consume(customer.id, { feature: 'federation' })).toMatchObject({
      allowed: false,
      reason: 'feature_not_available',
      status: 403,
      upgradeUrl: 'https://example.test/upgrade',
    });
    await tollgate.updateCustomer(customer.id, { plan: 'pro' });
    expect((await tollgate.consume(customer.id, { feature: 'federation' })).allowed).toBe(true);
  });

  it('holds concurrency slots until released, and a slot never released expires', async () => {
    const customer = await tollgate.createCustomer({ plan: 'free' });
    const first = await tollgate.consume(customer.id, { holdSlot: true, countRequest: false });
    const second = await tollgate.consume(customer.id, { holdSlot: true, countRequest: false });
    const third = await tollgate.consume(customer.id, { holdSlot: true, countRequest: false });
    expect([first.allowed, second.allowed, third.reason]).toEqual([true, true, 'concurrency_limited']);
    first.release();
    first.release();
    await new Promise((resolve) => setImmediate(resolve));
    expect((await tollgate.consume(customer.id, { holdSlot: true, countRequest: false })).allowed).toBe(true);
    clock.advance(61_000);
    expect((await tollgate.consume(customer.id, { holdSlot: true, countRequest: false })).allowed).toBe(true);
  });

  it('refuses storage past the limit with 507', async () => {
    const customer = await tollgate.createCustomer({ plan: 'free' });
    await tollgate.setStorage(customer.id, { bytes: 900, items: 3 });
    expect(
      (await tollgate.consume(customer.id, { operation: 'capture', storage: { bytes: 100 } })).allowed,
    ).toBe(true);
    const denied = await tollgate.consume(customer.id, { operation: 'capture', storage: { bytes: 101 } });
    expect(denied).toMatchObject({ reason: 'storage_limit_exceeded', status: 507 });
    expect((await tollgate.usage(customer.id)).used).toBe(1000);
  });

  it('counts a retried idempotency key once with the same answer, and refuses a different payload', async () => {
    const customer = await tollgate.createCustomer({ plan: 'bulk' });
    const first = await tollgate.consume(customer.id, {
      operation: 'capture',
      quantity: 2,
      idempotencyKey: 'req-1',
    });
    const retry = await tollgate.consume(customer.id, {
      operation: 'capture',
      quantity: 2,
      idempotencyKey: 'req-1',
    });
    expect(retry).toMatchObject({ allowed: true, replayed: true, eventId: first.eventId });
    expect(retry.headers['X-Credits-Total']).toBe(first.headers['X-Credits-Total']);
    await expect(
      tollgate.consume(customer.id, { operation: 'capture', quantity: 3, idempotencyKey: 'req-1' }),
    ).rejects.toMatchObject({
      code: 'conflict',
    });
    expect((await tollgate.usage(customer.id)).used).toBe(2000);
  });

  it('answers a retried key with its first answer even when the minute window is full', async () => {
    const customer = await tollgate.createCustomer({ plan: 'free' });
    const first = await tollgate.consume(customer.id, { operation: 'capture', idempotencyKey: 'req-7' });
    for (let i = 0; i < 9; i++) await tollgate.consume(customer.id, { operation: 'search' });
    expect((await tollgate.consume(customer.id, { operation: 'search' })).reason).toBe('rate_limited');

    const retry = await tollgate.consume(customer.id, { operation: 'capture', idempotencyKey: 'req-7' });
    expect(retry).toMatchObject({ allowed: true, replayed: true, eventId: first.eventId });
    expect(retry.headers['X-Credits-Total']).toBe(first.headers['X-Credits-Total']);
    await expect(
      tollgate.consume(customer.id, { operation: 'capture', quantity: 2, idempotencyKey: 'req-7' }),
    ).rejects.toMatchObject({ code: 'conflict' });
    expect(
      (await tollgate.consume(customer.id, { operation: 'capture', idempotencyKey: 'req-8' })).reason,
    ).toBe('rate_limited');
    expect((await tollgate.usage(customer.id)).used).toBe(1000 + 9 * 100);
  });

  it('keeps serving during the grace period and suspends when it ends', async () => {
    const customer = await tollgate.createCustomer({ plan: 'pro' });
    await tollgate.updateCustomer(customer.id, { status: 'past_due', paymentFailedAt: clock.now() });
    expect((await tollgate.consume(customer.id, { operation: 'capture' })).allowed).toBe(true);
    clock.advance(3 * DAY_MS);
    const suspended = await tollgate.consume(customer.id, { operation: 'capture' });
    expect(suspended).toMatchObject({ allowed: false, reason: 'account_suspended', status: 403 });
    await tollgate.updateCustomer(customer.id, { status: 'active', paymentFailedAt: null });
    expect((await tollgate.consume(customer.id, { operation: 'capture' })).allowed).toBe(true);
  });

  it('admits overage past the quota up to the spending cap and reports it', async () => {
    const customer = await tollgate.createCustomer({ plan: 'pro' });
    // 10 credits included, 100 credits of overage allowed by the cap.
    const results = await Promise.all(
      Array.from({ length: 150 }, () => tollgate.consume(customer.id, { operation: 'capture' })),
    );
    expect(results.filter((d) => d.allowed)).toHaveLength(110);
    const usage = await tollgate.usage(customer.id);
    expect(usage).toMatchObject({ used: 110_000, overage: 100_000 });
  });

  it('starts a new period with a fresh quota at the billing cycle renewal', async () => {
    const customer = await tollgate.createCustomer({ plan: 'bulk' });
    const start = clock.now();
    await tollgate.updateCustomer(customer.id, {
      periodStart: start,
      periodEnd: start + 31 * DAY_MS,
      status: 'active',
    });
    for (let i = 0; i < 100; i++) await tollgate.consume(customer.id, { operation: 'capture' });
    expect((await tollgate.consume(customer.id, { operation: 'capture' })).reason).toBe('quota_exceeded');
    clock.set(start + 31 * DAY_MS);
    const renewed = await tollgate.consume(customer.id, { operation: 'capture' });
    expect(renewed.allowed).toBe(true);
    expect(renewed.headers['X-Credits-Total']).toBe('1');
  });

  it('resets rate windows on wall time while billing time stands still (a frozen test clock)', async () => {
    const wall = new ManualClock(clock.now());
    const engine = createTollgate({
      catalog: testCatalog(),
      store: backend.store,
      counters: counters.counters,
      clock,
      rateClock: wall,
    });
    try {
      const customer = await engine.createCustomer({ plan: 'free' });
      for (let i = 0; i < 10; i++) await engine.consume(customer.id, { operation: 'search' });
      expect((await engine.consume(customer.id, { operation: 'search' })).reason).toBe('rate_limited');
      wall.advance(60_000);
      expect((await engine.consume(customer.id, { operation: 'search' })).allowed).toBe(true);

      // Grace follows billing time: four wall days change nothing, three billing days suspend.
      await engine.updateCustomer(customer.id, { status: 'past_due', paymentFailedAt: clock.now() });
      wall.advance(4 * DAY_MS);
      expect((await engine.consume(customer.id, { operation: 'search' })).allowed).toBe(true);
      clock.advance(3 * DAY_MS);
      expect((await engine.consume(customer.id, { operation: 'search' })).reason).toBe('account_suspended');
    } finally {
      await engine.close();
    }
  });

  it('authenticates issued keys, refuses revoked and unknown ones', async () => {
    const customer = await tollgate.createCustomer({ plan: 'free' });
    const issued = await tollgate.issueApiKey(customer.id, 'ci');
    expect(issued.key.startsWith(issued.record.prefix)).toBe(true);
    expect(await tollgate.authenticate(issued.key)).toEqual({
      kind: 'customer',
      customerId: customer.id,
      keyId: issued.record.id,
    });
    expect(await tollgate.authenticate(`${issued.key}x`)).toBeUndefined();
    await tollgate.revokeApiKey(issued.record.id);
    expect(await tollgate.authenticate(issued.key)).toBeUndefined();
    await tollgate.flush();
    const stored = await backend.store.findApiKeyByHash(issued.record.hash);
    expect(stored?.lastUsedAt).toBe(clock.now());
  });
});

describe('engine on postgres with redis counters', () => {
  it('keeps rate limits exact across two engines sharing Redis', async () => {
    const { openPostgres } = await import('./support/backends.js');
    const backend = await openPostgres();
    const counters = await openRedisCounters();
    const clock = new ManualClock(Date.UTC(2026, 4, 10, 12));
    const engines = [0, 1].map(() =>
      createTollgate({
        catalog: testCatalog(),
        store: backend.store,
        counters: counters.counters,
        clock,
        commitConcurrency: 4,
      }),
    );
    try {
      const customer = await engines[0]!.createCustomer({ plan: 'free' });
      const decisions = await Promise.all(
        Array.from({ length: 200 }, (_, i) => engines[i % 2]!.consume(customer.id, { operation: 'search' })),
      );
      expect(decisions.filter((d) => d.allowed)).toHaveLength(10);
      expect((await engines[0]!.usage(customer.id)).used).toBe(1000);
    } finally {
      for (const engine of engines) await engine.close();
      await counters.cleanup();
      await backend.cleanup();
    }
  });
});
