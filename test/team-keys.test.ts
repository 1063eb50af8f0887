/**
 * Team keys in the engine: a key's own minute rate is exact under concurrency, through memory counters
 * (one process) and Redis counters shared by two engines (two instances), inside the customer's rate;
 * a key's credit share holds with several engines committing to one PostgreSQL or SQLite store; a key
 * names its own customer only; keys without limits take the gate's plain path.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/core/clock.js';
import { MINUTE_MS } from '../src/core/periods.js';
import { createTollgate, type Tollgate } from '../src/core/tollgate.js';
import {
  type Backend,
  backends,
  type CountersHandle,
  openMemoryCounters,
  openRedisCounters,
  openSqlite,
} from './support/backends.js';
import { testCatalog } from './support/test-catalog.js';

const START = Date.UTC(2026, 4, 10, 12);

describe.each([
  ['memory', 1],
  ['redis', 2],
] as const)('a key minute rate through %s counters', (kind, instances) => {
  let backend: Backend;
  let handles: CountersHandle[];
  let engines: Tollgate[];
  let clock: ManualClock;

  beforeEach(async () => {
    backend = await openSqlite();
    clock = new ManualClock(START);
    const prefix = `tollgate-test:team-${Math.random().toString(36).slice(2)}:`;
    handles = [];
    for (let index = 0; index < instances; index++) {
      handles.push(kind === 'memory' ? openMemoryCounters() : await openRedisCounters(prefix));
    }
    engines = handles.map((handle) =>
      createTollgate({ catalog: testCatalog(), store: backend.store, counters: handle.counters, clock }),
    );
  });
  afterEach(async () => {
    for (const engine of engines) await engine.close();
    for (const handle of handles) await handle.cleanup();
    await backend.cleanup();
  });

  it("admits exactly the key's 7 a minute of 100 concurrent requests, and the customer's other key the 3 left", async () => {
    const [first] = engines as [Tollgate];
    // The free plan allows 10 requests a minute.
    const customer = await first.createCustomer({ plan: 'free' });
    const limited = await first.issueApiKey(customer.id, 'bot', {
      limits: { requestsPerMinute: 7 },
    });
    const other = await first.issueApiKey(customer.id, 'lead');
    const fire = (keyId: string, count: number) =>
      Promise.all(
        Array.from({ length: count }, (_, index) =>
          (engines[index % engines.length] as Tollgate).consume(customer.id, { keyId }),
        ),
      );
    const byLimited = await fire(limited.record.id, 100);
    expect(byLimited.filter((decision) => decision.allowed)).toHaveLength(7);
    const refused = byLimited.find((decision) => !decision.allowed);
    expect(refused?.refusedKey).toEqual({
      keyId: limited.record.id,
      kind: 'rate',
      window: 'minute',
      limit: 7,
    });
    expect(refused?.message).toBe("This API key's rate limit exceeded (7 requests per minute).");

    const byOther = await fire(other.record.id, 50);
    expect(byOther.filter((decision) => decision.allowed)).toHaveLength(3);
    expect(byOther.find((decision) => !decision.allowed)?.refusedKey).toBeNull();

    clock.advance(MINUTE_MS);
    const nextMinute = await fire(limited.record.id, 20);
    expect(nextMinute.filter((decision) => decision.allowed)).toHaveLength(7);
  });
});

describe.each(backends)('key credit shares with several engines on %s', (_name, open) => {
  let backend: Backend;
  let counters: CountersHandle;
  let engines: Tollgate[];

  beforeEach(async () => {
    backend = await open();
    counters = openMemoryCounters();
    const clock = new ManualClock(START);
    engines = Array.from({ length: 3 }, () =>
      createTollgate({
        catalog: testCatalog(),
        store: backend.store,
        counters: counters.counters,
        clock,
        commitConcurrency: backend.name === 'postgres' ? 4 : 1,
      }),
    );
  });
  afterEach(async () => {
    for (const engine of engines) await engine.close();
    await counters.cleanup();
    await backend.cleanup();
  });

  it("keeps a key to 30 of the customer's 100 credits while another key uses the rest", async () => {
    const [first] = engines as [Tollgate];
    const customer = await first.createCustomer({ plan: 'bulk' });
    const limited = await first.issueApiKey(customer.id, 'intern', { limits: { credits: 30 } });
    const other = await first.issueApiKey(customer.id, 'lead');
    const decisions = await Promise.all(
      Array.from({ length: 300 }, (_, index) =>
        (engines[index % engines.length] as Tollgate).consume(customer.id, {
          operation: 'capture',
          keyId: index % 2 === 0 ? limited.record.id : other.record.id,
        }),
      ),
    );
    const allowedBy = (parity: number) =>
      decisions.filter((decision, index) => index % 2 === parity && decision.allowed).length;
    expect(allowedBy(0)).toBe(30);
    expect(allowedBy(1)).toBe(70);
    const refusedByKey = decisions.find((decision) => decision.refusedKey !== null);
    expect(refusedByKey?.refusedKey).toEqual({
      keyId: limited.record.id,
      kind: 'credits',
      limit: 30_000,
      used: 30_000,
      requested: 1000,
    });
    const usage = await first.usageByKey(customer.id);
    expect(usage.keys.reduce((sum, row) => sum + row.cost, 0)).toBe((await first.usage(customer.id)).used);
    expect(usage.keys.find((row) => row.keyId === limited.record.id)?.cost).toBe(30_000);
  });

  it("refuses a key that is not the customer's, and a revoked one, recording nothing", async () => {
    const [first] = engines as [Tollgate];
    const customer = await first.createCustomer({ plan: 'bulk' });
    const stranger = await first.createCustomer({ plan: 'bulk' });
    const theirs = await first.issueApiKey(stranger.id, 'theirs');
    await expect(
      first.consume(customer.id, { operation: 'capture', keyId: theirs.record.id }),
    ).rejects.toMatchObject({ code: 'invalid_request' });
    const mine = await first.issueApiKey(customer.id, 'mine');
    await first.revokeApiKey(mine.record.id);
    await expect(
      first.consume(customer.id, { operation: 'capture', keyId: mine.record.id }),
    ).rejects.toMatchObject({ code: 'unauthorized' });
    await expect(
      first.consume(customer.id, { operation: 'capture', keyId: 'key_missing' }),
    ).rejects.toMatchObject({
      code: 'not_found',
    });
    const reserved = await first.reserve(customer.id, { operation: 'capture', quantity: 1 });
    await expect(
      first.settle(reserved.reservation?.id ?? '', 1, customer.id, theirs.record.id),
    ).rejects.toMatchObject({ code: 'invalid_request' });
    expect((await first.usage(customer.id)).used).toBe(0);
  });
});
