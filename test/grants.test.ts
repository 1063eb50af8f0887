/**
 * One-off grants through the engine on real stores: a grant is spent before the plan's quota and
 * admitted exactly while hundreds of requests race (credits and operation units, on two engine
 * instances with their own store connections), granted credits are never billed as overage, period
 * grants end with their period, until-used grants carry over, a retry returns the first grant, and a
 * revoke takes back what is unspent.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseCatalog } from '../src/core/catalog/parse-catalog.js';
import { ManualClock } from '../src/core/clock.js';
import { TollgateError } from '../src/core/errors.js';
import type { Store } from '../src/core/ports.js';
import { createTollgate, type Tollgate } from '../src/core/tollgate.js';
import { createMemoryCounters } from '../src/counters/memory-counters.js';
import { createPostgresStore } from '../src/store/postgres-store.js';
import { createSqliteStore } from '../src/store/sqlite-store.js';
import { type Backend, backends } from './support/backends.js';

const START = Date.UTC(2026, 0, 10, 12);
const FEBRUARY = Date.UTC(2026, 1, 1);
const CREDIT = 1000;

const catalog = parseCatalog({
  currency: 'usd',
  default_plan: 'basic',
  upgrade_url: '/billing',
  operations: { call: 1, tokens: 0 },
  plans: {
    basic: { name: 'Basic', limits: { credits: 100, operations: { tokens: { month: 1000 } } } },
    metered: {
      name: 'Metered',
      limits: { credits: 100 },
      overage: { price: 10, per_credits: 1000, cap: null },
    },
  },
});

async function rejection(promise: Promise<unknown>): Promise<TollgateError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(TollgateError);
  return error as TollgateError;
}

describe.each(backends)('grants on %s', (_name, open) => {
  let backend: Backend;
  let clock: ManualClock;
  let tollgate: Tollgate;
  const others: Array<{ engine: Tollgate; store: Store }> = [];
  const engine = (store: Store) =>
    createTollgate({
      catalog,
      store,
      counters: createMemoryCounters(),
      clock,
      commitConcurrency: backend.name === 'postgres' ? 4 : 1,
    });

  /** Another instance: its own engine (its own caches) on its own connection to the same database. */
  async function anotherInstance(): Promise<Tollgate> {
    const { location } = backend;
    const store =
      location.kind === 'sqlite'
        ? createSqliteStore({ filename: location.filename })
        : createPostgresStore({ connectionString: location.url, schema: location.schema });
    await store.migrate();
    const other = { engine: engine(store), store };
    others.push(other);
    return other.engine;
  }

  async function spend(customerId: string, calls: number): Promise<void> {
    for (let index = 0; index < calls; index++) {
      expect((await tollgate.consume(customerId, { operation: 'call' })).allowed).toBe(true);
    }
  }

  beforeEach(async () => {
    backend = await open();
    clock = new ManualClock(START);
    tollgate = engine(backend.store);
  });
  afterEach(async () => {
    for (const other of others.splice(0)) {
      await other.engine.close();
      await other.store.close();
    }
    await tollgate.close();
    await backend.cleanup();
  });

  it('admits exactly the granted credits when 500 requests race past a used-up quota', async () => {
    const { id } = await tollgate.createCustomer({});
    await spend(id, 100);
    expect((await tollgate.consume(id, { operation: 'call' })).reason).toBe('quota_exceeded');

    const { standing } = await tollgate.grant(id, {
      amount: 50 * CREDIT,
      expires: 'until_used',
      idempotencyKey: 'bonus-50',
    });
    expect(standing).toMatchObject({ used: 0, remaining: 50 * CREDIT, status: 'active' });
    expect(standing.grant.baseline).toBe(100 * CREDIT);

    const second = await anotherInstance();
    const decisions = await Promise.all(
      Array.from({ length: 500 }, (_, index) =>
        (index % 2 === 0 ? tollgate : second).consume(id, { operation: 'call' }),
      ),
    );
    expect(decisions.filter((decision) => decision.allowed)).toHaveLength(50);
    expect(decisions.filter((decision) => decision.reason === 'quota_exceeded')).toHaveLength(450);
    expect((await tollgate.usage(id)).used).toBe(150 * CREDIT);
    expect(await tollgate.grants(id)).toMatchObject([{ used: 50 * CREDIT, remaining: 0, status: 'used' }]);
  });

  it('stays exact when a grant is made while requests race', async () => {
    const { id } = await tollgate.createCustomer({});
    await spend(id, 60);
    const call = () => tollgate.consume(id, { operation: 'call' });
    const racing = Array.from({ length: 200 }, call);
    const made = tollgate.grant(id, { amount: 50 * CREDIT, expires: 'period', idempotencyKey: 'mid-race' });
    const more = Array.from({ length: 200 }, call);
    const [first, { standing }, second] = await Promise.all([Promise.all(racing), made, Promise.all(more)]);
    const late = await Promise.all(Array.from({ length: 100 }, call));
    const admitted = [...first, ...second, ...late].filter((decision) => decision.allowed).length;
    expect(admitted).toBe(90);
    expect((await tollgate.usage(id)).used).toBe(150 * CREDIT);
    expect(standing.grant.baseline % CREDIT).toBe(0);
    expect(await tollgate.grants(id)).toMatchObject([{ used: 50 * CREDIT, remaining: 0 }]);
  });

  it('admits exactly the granted units of an operation limited per month', async () => {
    const { id } = await tollgate.createCustomer({});
    expect((await tollgate.consume(id, { operation: 'tokens', quantity: 1000 })).allowed).toBe(true);
    await tollgate.grant(id, {
      operation: 'tokens',
      amount: 500,
      expires: 'period',
      idempotencyKey: 't-500',
    });
    const second = await anotherInstance();
    const decisions = await Promise.all(
      Array.from({ length: 300 }, (_, index) =>
        (index % 2 === 0 ? tollgate : second).consume(id, { operation: 'tokens', quantity: 2 }),
      ),
    );
    expect(decisions.filter((decision) => decision.allowed)).toHaveLength(250);
    const refused = decisions.find((decision) => !decision.allowed);
    expect(refused?.refusedWindow).toMatchObject({
      operation: 'tokens',
      window: 'month',
      limit: 1500,
      used: 1500,
    });
    expect((await tollgate.operationUsage(id)).tokens?.month).toMatchObject({
      used: 1500,
      limit: 1000,
      remaining: 0,
    });
    expect(await tollgate.grants(id)).toMatchObject([{ used: 500, remaining: 0 }]);
  });

  it('spends a grant first: the plan quota is untouched until the grant is used up', async () => {
    const { id } = await tollgate.createCustomer({});
    await spend(id, 30);
    await tollgate.grant(id, { amount: 20 * CREDIT, expires: 'until_used', idempotencyKey: 'g' });
    await spend(id, 15);
    expect(await tollgate.grants(id)).toMatchObject([{ used: 15 * CREDIT, remaining: 5 * CREDIT }]);
    const decision = await tollgate.check(id, { operation: 'call' });
    // 120 allowed in all: 45 used, 75 left (70 of the plan, 5 of the grant).
    expect(decision.credits).toMatchObject({
      limit: 100 * CREDIT,
      effectiveLimit: 120 * CREDIT,
      remaining: 75 * CREDIT,
    });
    expect(decision.headers['X-Credits-Remaining']).toBe('75');
  });

  it('never bills granted credits as overage', async () => {
    const { id } = await tollgate.createCustomer({ plan: 'metered' });
    await spend(id, 100);
    await tollgate.grant(id, { amount: 10 * CREDIT, expires: 'period', idempotencyKey: 'g' });
    await spend(id, 12);
    const usage = await tollgate.usage(id);
    expect(usage.used).toBe(112 * CREDIT);
    expect(usage.overage).toBe(2 * CREDIT);
  });

  it('ends a period grant with its period and carries an until-used grant into the next', async () => {
    const { id } = await tollgate.createCustomer({});
    await tollgate.grant(id, { amount: 10 * CREDIT, expires: 'period', idempotencyKey: 'period' });
    await tollgate.grant(id, { amount: 80 * CREDIT, expires: 'until_used', idempotencyKey: 'lasting' });
    await spend(id, 40);
    // The period grant expires first, so it is spent first.
    expect((await tollgate.grants(id)).map(({ used, remaining }) => [used, remaining])).toEqual([
      [10 * CREDIT, 0],
      [30 * CREDIT, 50 * CREDIT],
    ]);

    clock.set(FEBRUARY + 3_600_000);
    const grants = await tollgate.grants(id);
    expect(grants.map(({ grant, status }) => [grant.expiresAt, status])).toEqual([
      [FEBRUARY, 'used'],
      [null, 'active'],
    ]);
    await spend(id, 150);
    const refused = await tollgate.consume(id, { operation: 'call' });
    expect(refused.reason).toBe('quota_exceeded');
    expect(refused.credits).toMatchObject({
      used: 150 * CREDIT,
      limit: 100 * CREDIT,
      effectiveLimit: 150 * CREDIT,
    });
  });

  it('counts what an expired grant took in the periods it shared with a later one', async () => {
    clock.set(Date.UTC(2025, 11, 10));
    const { id } = await tollgate.createCustomer({});
    await tollgate.grant(id, {
      amount: 50 * CREDIT,
      expires: 'until_used',
      expiresAt: Date.UTC(2026, 1, 14),
      idempotencyKey: 'december',
    });
    await spend(id, 40);
    clock.set(START);
    await tollgate.grant(id, { amount: 50 * CREDIT, expires: 'until_used', idempotencyKey: 'january' });
    // The December grant expires sooner: it takes its last 10, the January one the next 20.
    await spend(id, 30);
    clock.set(Date.UTC(2026, 2, 5));
    expect(
      (await tollgate.grants(id)).map(({ used, remaining, status }) => [used, remaining, status]),
    ).toEqual([
      [50 * CREDIT, 0, 'used'],
      [20 * CREDIT, 30 * CREDIT, 'active'],
    ]);
    // March: the plan's 100 and the 30 left of the January grant.
    await spend(id, 130);
    expect((await tollgate.consume(id, { operation: 'call' })).reason).toBe('quota_exceeded');
  });

  it('answers a retry with the first grant and refuses another grant under its key', async () => {
    const { id } = await tollgate.createCustomer({});
    const input = {
      amount: 5 * CREDIT,
      expires: 'until_used' as const,
      idempotencyKey: 'deal-1',
      reason: 'deal',
    };
    const first = await tollgate.grant(id, input);
    const retry = await tollgate.grant(id, input);
    expect(retry).toMatchObject({ created: false, standing: { grant: { id: first.standing.grant.id } } });
    const conflict = await rejection(tollgate.grant(id, { ...input, amount: 6 * CREDIT }));
    expect(conflict.code).toBe('conflict');
    expect(await tollgate.grants(id)).toHaveLength(1);
  });

  it('refuses a grant that could not work, naming the field, and writes nothing', async () => {
    const { id } = await tollgate.createCustomer({});
    const bad = await rejection(
      tollgate.grant(id, {
        operation: 'call',
        amount: 0,
        expires: 'period',
        expiresAt: START + 1,
        idempotencyKey: '',
      }),
    );
    expect(bad.code).toBe('invalid_request');
    expect((bad.details as { issues: Array<{ path: string }> }).issues.map((issue) => issue.path)).toEqual([
      'amount',
      'operation',
      'expires_at',
      'idempotency_key',
    ]);
    expect(await tollgate.grants(id)).toEqual([]);
    expect(
      (
        await rejection(
          tollgate.grant('tgcus_missing', { amount: 1, expires: 'period', idempotencyKey: 'k' }),
        )
      ).code,
    ).toBe('not_found');
  });

  it('takes back what is unspent when a grant is revoked', async () => {
    const { id } = await tollgate.createCustomer({});
    await spend(id, 100);
    const { standing } = await tollgate.grant(id, {
      amount: 50 * CREDIT,
      expires: 'until_used',
      idempotencyKey: 'g',
    });
    await spend(id, 20);
    const revoked = await tollgate.revokeGrant(id, standing.grant.id, 'admin:test');
    expect(revoked).toMatchObject({ used: 20 * CREDIT, remaining: 0, status: 'revoked' });
    expect(revoked.grant).toMatchObject({ revokedAt: START, revokedAmount: 30 * CREDIT });
    expect((await tollgate.consume(id, { operation: 'call' })).reason).toBe('quota_exceeded');
    expect((await rejection(tollgate.revokeGrant(id, 'tggrant_missing'))).code).toBe('not_found');
  });
});
