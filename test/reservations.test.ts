/**
 * Reservations through the engine on real stores: concurrent reserves (and debits) admit exactly what
 * fits, holds count against credits and operation windows, settle below, at and above the
 * reservation, idempotent settle, release, expiry on billing time (excluded at decision time, no
 * sweeper), and a restart that keeps an unexpired hold and drops an expired one.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Catalog } from '../src/core/catalog/catalog.js';
import { parseCatalog } from '../src/core/catalog/parse-catalog.js';
import { ManualClock } from '../src/core/clock.js';
import { TollgateError } from '../src/core/errors.js';
import type { Store } from '../src/core/ports.js';
import { createTollgate, type Tollgate } from '../src/core/tollgate.js';
import { createMemoryCounters } from '../src/counters/memory-counters.js';
import { createPostgresStore } from '../src/store/postgres-store.js';
import { createSqliteStore } from '../src/store/sqlite-store.js';
import { type Backend, backends } from './support/backends.js';

const START = Date.UTC(2026, 2, 10, 12);
const PERIOD = Date.UTC(2026, 2, 1);

const catalog: Catalog = parseCatalog({
  currency: 'usd',
  default_plan: 'basic',
  upgrade_url: '/billing',
  operations: { call: 1, tokens: 0 },
  plans: { basic: { name: 'Basic', limits: { credits: 100, operations: { tokens: { day: 1000 } } } } },
});

async function rejection(promise: Promise<unknown>): Promise<TollgateError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(TollgateError);
  return error as TollgateError;
}

describe.each(backends)('reservations on %s', (_name, open) => {
  let backend: Backend;
  let clock: ManualClock;
  let tollgate: Tollgate;
  const engine = (store: Store) =>
    createTollgate({
      catalog,
      store,
      counters: createMemoryCounters(),
      clock,
      commitConcurrency: backend.name === 'postgres' ? 4 : 1,
    });

  beforeEach(async () => {
    backend = await open();
    clock = new ManualClock(START);
    tollgate = engine(backend.store);
  });
  afterEach(async () => {
    await tollgate.close();
    await backend.cleanup();
  });

  it('admits exactly the 100 of 1,000 concurrent reserves that fit, and holds them against debits', async () => {
    const customer = await tollgate.createCustomer({});
    const results = await Promise.all(
      Array.from({ length: 1000 }, () => tollgate.reserve(customer.id, { operation: 'call', quantity: 1 })),
    );
    const admitted = results.filter((result) => result.reservation !== null);
    expect(admitted).toHaveLength(100);
    expect(new Set(admitted.map((result) => result.reservation?.id)).size).toBe(100);
    const refused = results.find((result) => result.reservation === null);
    expect(refused?.decision.status).toBe(429);
    expect(refused?.decision.reason).toBe('quota_exceeded');
    // Held, not recorded: no usage yet, and a debit is refused while the holds stand.
    expect((await tollgate.usage(customer.id)).used).toBe(0);
    expect((await tollgate.consume(customer.id, { operation: 'call' })).allowed).toBe(false);

    const first = admitted[0]?.reservation?.id as string;
    await tollgate.release(first);
    expect((await tollgate.consume(customer.id, { operation: 'call' })).allowed).toBe(true);
    expect((await tollgate.consume(customer.id, { operation: 'call' })).allowed).toBe(false);
  });

  it('admits exactly what fits when reserves and debits race for one quota', async () => {
    const customer = await tollgate.createCustomer({});
    const results = await Promise.all(
      Array.from({ length: 1000 }, (_, index) =>
        index % 2 === 0
          ? tollgate.reserve(customer.id, { operation: 'call', quantity: 2 }).then((r) => r.decision.allowed)
          : tollgate.consume(customer.id, { operation: 'call', quantity: 2 }).then((d) => d.allowed),
      ),
    );
    expect(results.filter(Boolean)).toHaveLength(50);
  });

  it('holds operation window units exactly under 1,000 concurrent reserves', async () => {
    const customer = await tollgate.createCustomer({});
    const results = await Promise.all(
      Array.from({ length: 1000 }, () =>
        tollgate.reserve(customer.id, { operation: 'tokens', quantity: 30 }),
      ),
    );
    const admitted = results.filter((result) => result.reservation !== null);
    expect(admitted).toHaveLength(33); // 33 x 30 = 990 of 1,000
    const refused = results.find((result) => result.reservation === null);
    expect(refused?.decision.refusedWindow).toMatchObject({
      operation: 'tokens',
      window: 'day',
      limit: 1000,
    });
    expect((await tollgate.consume(customer.id, { operation: 'tokens', quantity: 11 })).allowed).toBe(false);
    expect((await tollgate.consume(customer.id, { operation: 'tokens', quantity: 10 })).allowed).toBe(true);
  });

  it('settles below, at and above the reservation, freeing the hold each time', async () => {
    const customer = await tollgate.createCustomer({});
    const reserve = async (quantity: number) => {
      const result = await tollgate.reserve(customer.id, { operation: 'tokens', quantity });
      expect(result.reservation).not.toBeNull();
      return result.reservation?.id as string;
    };
    const below = await tollgate.settle(await reserve(400), 150);
    expect(below).toMatchObject({ overLimit: false, replayed: false });
    expect(below.reservation).toMatchObject({
      status: 'settled',
      settledQuantity: 150,
      eventId: below.eventId,
    });
    const at = await tollgate.settle(await reserve(350), 350);
    expect(at.overLimit).toBe(false);
    // 500 recorded, nothing held: a 500 reservation fits exactly, one more unit does not.
    expect(
      (await tollgate.reserve(customer.id, { operation: 'tokens', quantity: 501 })).reservation,
    ).toBeNull();
    const above = await tollgate.settle(await reserve(500), 800);
    expect(above.overLimit).toBe(true);
    expect(above.reservation.settledQuantity).toBe(800);
    const standing = await tollgate.operationUsage(customer.id);
    expect(standing.tokens?.day).toMatchObject({ used: 1300, limit: 1000, remaining: 0 });
    expect((await tollgate.consume(customer.id, { operation: 'tokens' })).allowed).toBe(false);
    expect(await backend.store.sumUsageEvents(customer.id, PERIOD)).toEqual({ cost: 0, events: 3 });
  });

  it('charges a settle its actual credits and answers a repeated settle with the first result', async () => {
    const customer = await tollgate.createCustomer({});
    const { reservation } = await tollgate.reserve(customer.id, { operation: 'call', quantity: 10 });
    const id = reservation?.id as string;
    const settled = await tollgate.settle(id, 4);
    expect(settled.used).toBe(4000);
    const again = await tollgate.settle(id, 4);
    expect(again).toMatchObject({ eventId: settled.eventId, replayed: true, used: 4000 });
    const different = await rejection(tollgate.settle(id, 5));
    expect(different.code).toBe('conflict');
    expect(different.details).toMatchObject({ reservation_id: id, status: 'settled' });
    expect((await rejection(tollgate.release(id))).code).toBe('conflict');
    expect(await backend.store.sumUsageEvents(customer.id, PERIOD)).toEqual({ cost: 4000, events: 1 });
    // 96 credits left, none held.
    expect(
      (await tollgate.reserve(customer.id, { operation: 'call', quantity: 96 })).reservation,
    ).not.toBeNull();
  });

  it('releases idempotently, and a released reservation cannot be settled', async () => {
    const customer = await tollgate.createCustomer({});
    const { reservation } = await tollgate.reserve(customer.id, { operation: 'call', quantity: 100 });
    const id = reservation?.id as string;
    expect((await tollgate.release(id)).status).toBe('released');
    expect((await tollgate.release(id)).status).toBe('released');
    const refused = await rejection(tollgate.settle(id, 1));
    expect(refused.code).toBe('conflict');
    expect(refused.details).toMatchObject({ status: 'released' });
    expect((await tollgate.consume(customer.id, { operation: 'call', quantity: 100 })).allowed).toBe(true);
  });

  it('answers the same reservation to a retry with the same idempotency key', async () => {
    const customer = await tollgate.createCustomer({});
    const input = { operation: 'call', quantity: 60, idempotencyKey: 'job-1' };
    const results = await Promise.all([
      tollgate.reserve(customer.id, input),
      tollgate.reserve(customer.id, input),
    ]);
    expect(results[0]?.reservation?.id).toBe(results[1]?.reservation?.id);
    expect(results.map((result) => result.decision.replayed).sort()).toEqual([false, true]);
    // Held once: 40 credits remain.
    expect(
      (await tollgate.reserve(customer.id, { operation: 'call', quantity: 40 })).reservation,
    ).not.toBeNull();
    const other = await rejection(tollgate.reserve(customer.id, { ...input, quantity: 61 }));
    expect(other.code).toBe('conflict');
  });

  it('expires on billing time: held until the TTL, gone at it, then no longer settleable', async () => {
    const customer = await tollgate.createCustomer({});
    const { reservation } = await tollgate.reserve(customer.id, {
      operation: 'call',
      quantity: 100,
      ttlSeconds: 60,
    });
    expect(reservation).toMatchObject({ status: 'held', expiresAt: START + 60_000 });
    clock.set(START + 59_999);
    expect((await tollgate.consume(customer.id, { operation: 'call' })).allowed).toBe(false);
    clock.set(START + 60_000);
    expect((await tollgate.getReservation(reservation?.id as string)).status).toBe('expired');
    expect((await tollgate.consume(customer.id, { operation: 'call' })).allowed).toBe(true);
    const refused = await rejection(tollgate.settle(reservation?.id as string, 100));
    expect(refused.code).toBe('conflict');
    expect(refused.details).toMatchObject({ status: 'expired' });
    expect(await backend.store.sumUsageEvents(customer.id, PERIOD)).toEqual({ cost: 1000, events: 1 });
  });

  it('refuses a TTL out of range and an unknown reservation', async () => {
    const customer = await tollgate.createCustomer({});
    const tooLong = await rejection(
      tollgate.reserve(customer.id, { operation: 'call', quantity: 1, ttlSeconds: 3601 }),
    );
    expect(tooLong.code).toBe('invalid_request');
    expect((await rejection(tollgate.settle('rsv_nope', 1))).code).toBe('not_found');
    const { reservation } = await tollgate.reserve(customer.id, { operation: 'call', quantity: 1 });
    const stranger = await tollgate.createCustomer({});
    expect((await rejection(tollgate.settle(reservation?.id as string, 1, stranger.id))).code).toBe(
      'not_found',
    );
  });

  it('returns every hold when settles, releases and debits race, leaving exactly the rest to admit', async () => {
    const customer = await tollgate.createCustomer({});
    const reserved = await Promise.all(
      Array.from({ length: 100 }, () => tollgate.reserve(customer.id, { operation: 'call', quantity: 1 })),
    );
    const ids = reserved.map((result) => result.reservation?.id as string);
    const raced = await Promise.all([
      ...ids.slice(0, 50).map((id) => tollgate.settle(id, 1).then(() => false)),
      ...ids.slice(50).map((id) => tollgate.release(id).then(() => false)),
      ...Array.from({ length: 100 }, () =>
        tollgate.consume(customer.id, { operation: 'call' }).then((decision) => decision.allowed),
      ),
    ]);
    const admitted = raced.filter(Boolean).length;
    expect(admitted).toBeLessThanOrEqual(50);
    const { used } = await tollgate.usage(customer.id);
    expect(used).toBe((50 + admitted) * 1000);
    const rest = 100 - 50 - admitted;
    if (rest > 0)
      expect((await tollgate.consume(customer.id, { operation: 'call', quantity: rest })).allowed).toBe(true);
    expect((await tollgate.consume(customer.id, { operation: 'call' })).allowed).toBe(false);
    expect(await backend.store.sumUsageEvents(customer.id, PERIOD)).toEqual({
      cost: 100_000,
      events: 50 + admitted + (rest > 0 ? 1 : 0),
    });
  });

  it('keeps an unexpired hold and drops an expired one across a restart', async () => {
    const customer = await tollgate.createCustomer({});
    await tollgate.reserve(customer.id, { operation: 'call', quantity: 30, ttlSeconds: 60 });
    const { reservation: long } = await tollgate.reserve(customer.id, {
      operation: 'tokens',
      quantity: 1000,
      ttlSeconds: 3600,
    });
    await tollgate.reserve(customer.id, { operation: 'call', quantity: 50, ttlSeconds: 3600 });
    await tollgate.close();

    // A new process: another connection, empty caches.
    const location = backend.location;
    const store =
      location.kind === 'sqlite'
        ? createSqliteStore({ filename: location.filename })
        : createPostgresStore({ connectionString: location.url, schema: location.schema });
    await store.migrate();
    tollgate = engine(store);
    try {
      clock.set(START + 61_000);
      // 30 expired, 50 still held: exactly 50 credits admit.
      expect((await tollgate.consume(customer.id, { operation: 'call', quantity: 51 })).allowed).toBe(false);
      expect((await tollgate.consume(customer.id, { operation: 'call', quantity: 50 })).allowed).toBe(true);
      expect((await tollgate.consume(customer.id, { operation: 'tokens' })).allowed).toBe(false);
      expect((await tollgate.settle(long?.id as string, 10)).overLimit).toBe(false);
      expect((await tollgate.consume(customer.id, { operation: 'tokens', quantity: 990 })).allowed).toBe(
        true,
      );
    } finally {
      await tollgate.close();
      await store.close();
      tollgate = engine(backend.store);
    }
  });
});
