/**
 * Operation limits through the engine on real stores: exact under concurrent requests, refused before
 * credits with the window named, reset on the next day of billing time (across a leap day), back-dated
 * usage counted in the window it happened in, overage admitted up to its cap, and a fast-check property
 * over random catalogs and event sequences: every window's counter is the sum of its events and no
 * window ever passes its limit.
 */
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type Catalog,
  FIXED_WINDOW_MS,
  monthCeiling,
  OPERATION_WINDOWS,
} from '../src/core/catalog/catalog.js';
import { parseCatalog } from '../src/core/catalog/parse-catalog.js';
import { ManualClock } from '../src/core/clock.js';
import { windowStart } from '../src/core/periods.js';
import type { Store, WindowKey } from '../src/core/ports.js';
import { createTollgate, type Tollgate } from '../src/core/tollgate.js';
import { createMemoryCounters } from '../src/counters/memory-counters.js';
import { type Backend, backends } from './support/backends.js';

const HOUR = 3_600_000;
const DAY = 86_400_000;

function catalogWith(operations: Record<string, unknown>): Catalog {
  return parseCatalog({
    currency: 'usd',
    default_plan: 'basic',
    upgrade_url: '/billing',
    operations: { video: 0, match: 1, api_call: 0, tokens: 0 },
    plans: { basic: { name: 'Basic', limits: { credits: 'unlimited', operations } } },
  });
}

describe.each(backends)('operation limits on %s', (_name, open) => {
  let backend: Backend;
  let clock: ManualClock;
  let tollgate: Tollgate;

  beforeEach(async () => {
    backend = await open();
    // 2028 is a leap year: the day windows below cross Feb 29.
    clock = new ManualClock(Date.UTC(2028, 1, 28, 20));
    tollgate = createTollgate({
      catalog: catalogWith({
        video: { day: 3, month: 50 },
        match: { minute: 100, hour: 1000, day: 1000, month: 20000 },
        api_call: { month: 10, overage: { price: 10, per: 1, cap: 50 } },
        tokens: { month: 0 },
      }),
      store: backend.store,
      counters: createMemoryCounters(),
      clock,
      commitConcurrency: backend.name === 'postgres' ? 4 : 1,
    });
  });
  afterEach(async () => {
    await tollgate.close();
    await backend.cleanup();
  });

  it('admits exactly the day limit of 300 concurrent requests', async () => {
    const customer = await tollgate.createCustomer({});
    const decisions = await Promise.all(
      Array.from({ length: 300 }, () => tollgate.consume(customer.id, { operation: 'match', quantity: 4 })),
    );
    expect(decisions.filter((decision) => decision.allowed)).toHaveLength(25);
    const refused = decisions.find((decision) => !decision.allowed);
    expect(refused?.status).toBe(429);
    expect(refused?.refusedWindow).toMatchObject({ operation: 'match', limit: 100, used: 100, requested: 4 });
    const standing = await tollgate.operationUsage(customer.id);
    expect(standing.match).toMatchObject({
      minute: { used: 100, limit: 100, remaining: 0 },
      hour: { used: 100, limit: 1000 },
      day: { used: 100, limit: 1000 },
      month: { used: 100, limit: 20000 },
    });
    expect(await backend.store.sumUsageEvents(customer.id, Date.UTC(2028, 1, 1))).toEqual({
      cost: 100_000,
      events: 25,
    });
  });

  it('resets a per-day limit the next day of billing time, across the leap day', async () => {
    const customer = await tollgate.createCustomer({});
    const video = () => tollgate.consume(customer.id, { operation: 'video' });
    for (let index = 0; index < 3; index++) expect((await video()).allowed).toBe(true);
    const refused = await video();
    expect(refused.refusedWindow).toEqual({
      operation: 'video',
      window: 'day',
      limit: 3,
      used: 3,
      requested: 1,
    });
    expect(refused.message).toBe('Daily limit of video exceeded. Used 3/3, requested 1.');
    expect(refused.retryAfterSeconds).toBe(4 * 3600);
    expect(refused.headers['Retry-After']).toBe('14400');

    clock.set(Date.UTC(2028, 1, 29)); // Feb 29
    for (let index = 0; index < 3; index++) expect((await video()).allowed).toBe(true);
    expect((await video()).allowed).toBe(false);
    clock.set(Date.UTC(2028, 2, 1) - 1); // the last millisecond of Feb 29
    expect((await video()).allowed).toBe(false);
    clock.set(Date.UTC(2028, 2, 1)); // March 1: a new day and a new credit period
    const march = await video();
    expect(march.allowed).toBe(true);
    expect(march.operation?.windows.map((window) => [window.window, window.used])).toEqual([
      ['day', 1],
      ['month', 1],
    ]);
    const standing = await tollgate.operationUsage(customer.id);
    expect(standing.video?.day).toEqual({
      used: 1,
      limit: 3,
      remaining: 2,
      resetAt: Date.UTC(2028, 2, 2),
    });
  });

  it('counts back-dated usage in the day it happened in', async () => {
    const customer = await tollgate.createCustomer({});
    for (let index = 0; index < 3; index++) await tollgate.consume(customer.id, { operation: 'video' });
    clock.set(Date.UTC(2028, 1, 29, 10));
    const late = await tollgate.consume(customer.id, {
      operation: 'video',
      occurredAt: Date.UTC(2028, 1, 28, 23),
    });
    expect(late.refusedWindow).toMatchObject({ window: 'day', used: 3 });
    const today = await tollgate.consume(customer.id, { operation: 'video' });
    expect(today.operation?.windows[0]).toMatchObject({ window: 'day', used: 1 });
    const keys: WindowKey[] = [
      { operation: 'video', window: 'day', start: Date.UTC(2028, 1, 28) },
      { operation: 'video', window: 'day', start: Date.UTC(2028, 1, 29) },
    ];
    expect((await backend.store.getWindowUsage(customer.id, keys)).map((usage) => usage.used)).toEqual([
      3, 1,
    ]);
  });

  it('admits an operation past its month limit up to the overage cap, and refuses one not included', async () => {
    const customer = await tollgate.createCustomer({});
    const decisions = [];
    for (let index = 0; index < 20; index++) {
      decisions.push(await tollgate.consume(customer.id, { operation: 'api_call' }));
    }
    // 10 included + $0.50 cap at $0.10 per call = 15.
    expect(decisions.filter((decision) => decision.allowed)).toHaveLength(15);
    expect(decisions[15]?.refusedWindow).toMatchObject({ window: 'month', limit: 10, used: 15 });
    const [counter] = await backend.store.getWindowUsage(customer.id, [
      { operation: 'api_call', window: 'month', start: Date.UTC(2028, 1, 1) },
    ]);
    expect(counter).toEqual({ used: 15, overage: 5 });

    const tokens = await tollgate.consume(customer.id, { operation: 'tokens', quantity: 1 });
    expect(tokens.refusedWindow).toMatchObject({ window: 'month', limit: 0, used: 0 });
  });

  it('check() refuses a full window without counting, and names each limited window in RateLimit', async () => {
    const customer = await tollgate.createCustomer({});
    const fresh = await tollgate.check(customer.id, { operation: 'video', quantity: 3 });
    expect(fresh.allowed).toBe(true);
    expect(fresh.headers['RateLimit-Policy']).toBe('"video-day";q=3;w=86400, "video-month";q=50;w=2505600');
    expect(fresh.headers.RateLimit).toBe('"video-day";r=3;t=14400, "video-month";r=50;t=100800');
    expect(
      (await tollgate.check(customer.id, { operation: 'video', quantity: 4 })).refusedWindow,
    ).toMatchObject({
      window: 'day',
      requested: 4,
    });
    expect((await tollgate.operationUsage(customer.id)).video?.day?.used).toBe(0);
  });
});

describe.each(backends)('operation limits, property, on %s', (name, open) => {
  let backend: Backend;
  beforeAll(async () => {
    backend = await open();
  });
  afterAll(async () => {
    await backend.cleanup();
  });

  const windowLimit = fc.option(fc.integer({ min: 0, max: 8 }), { nil: undefined });
  const operationLimit = fc.record({
    minute: windowLimit,
    hour: windowLimit,
    day: windowLimit,
    month: fc.option(fc.integer({ min: 0, max: 30 }), { nil: undefined }),
    overage: fc.option(fc.record({ cap: fc.option(fc.integer({ min: 1, max: 40 }), { nil: null }) }), {
      nil: undefined,
    }),
  });
  const event = fc.record({
    operation: fc.constantFrom('a', 'b'),
    quantity: fc.integer({ min: 1, max: 3 }),
    /** Time that passes before the event (up to 9 hours). */
    advance: fc.integer({ min: 0, max: 9 * HOUR }),
    /** How long before now it happened (back-dated up to 2 days). */
    backdate: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2 * DAY })),
    /** Repeat an earlier event exactly (a retry), by its position from the end. */
    retryOf: fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }),
    keyed: fc.boolean(),
    /** Sent while the previous events are still in flight (they race in the same commits). */
    together: fc.boolean(),
  });

  it('every window counter is the sum of its events, and no window passes its limit', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({ a: operationLimit, b: operationLimit }),
        fc.array(event, { minLength: 1, maxLength: 40 }),
        async (limits, events) => {
          const operations = Object.fromEntries(
            Object.entries(limits).map(([id, limit]) => {
              const { overage, ...windows } = limit;
              const defined = Object.fromEntries(
                Object.entries(windows).filter(([, value]) => value !== undefined),
              );
              const billed = overage !== undefined && windows.month !== undefined;
              return [
                id,
                billed ? { ...defined, overage: { price: 10, per: 1, cap: overage.cap } } : defined,
              ];
            }),
          );
          const catalog = parseCatalog({
            currency: 'usd',
            default_plan: 'basic',
            operations: { a: 0, b: 1 },
            plans: { basic: { name: 'Basic', limits: { credits: 'unlimited', operations } } },
          });
          // Starts two days before a month ends, so the sequence crosses days and a credit period.
          const clock = new ManualClock(Date.UTC(2028, 1, 27, 22));
          const tollgate = createTollgate({
            catalog,
            store: backend.store,
            counters: createMemoryCounters(),
            clock,
          });
          try {
            await checkSequence(tollgate, backend.store, clock, catalog, events);
          } finally {
            await tollgate.close();
          }
        },
      ),
      { numRuns: name === 'postgres' ? 25 : 60 },
    );
  });

  async function checkSequence(
    tollgate: Tollgate,
    store: Store,
    clock: ManualClock,
    catalog: Catalog,
    events: Array<{
      operation: string;
      quantity: number;
      advance: number;
      backdate: number;
      retryOf: number | undefined;
      keyed: boolean;
      together: boolean;
    }>,
  ): Promise<void> {
    const customer = await tollgate.createCustomer({});
    const sent: Array<{ operation: string; quantity: number; occurredAt: number; idempotencyKey?: string }> =
      [];
    let fresh = 0;
    let inFlight: Array<Promise<void>> = [];
    for (const [index, event] of events.entries()) {
      if (!event.together) {
        await Promise.all(inFlight);
        inFlight = [];
        clock.advance(event.advance);
      }
      const earlier = event.retryOf === undefined ? undefined : sent[sent.length - event.retryOf];
      const request = earlier ?? {
        operation: event.operation,
        quantity: event.quantity,
        occurredAt: clock.now() - event.backdate,
        ...(event.keyed ? { idempotencyKey: `k${index}` } : {}),
      };
      sent.push(request);
      inFlight.push(
        tollgate.consume(customer.id, request).then((decision) => {
          if (decision.allowed && !decision.replayed) fresh++;
        }),
      );
    }
    await Promise.all(inFlight);
    await tollgate.flush();

    const recorded = await store.listUsageEvents(customer.id, 0, Number.MAX_SAFE_INTEGER, 10_000);
    expect(recorded).toHaveLength(fresh);
    const plan = catalog.plans[0]!;
    const expected = new Map<string, { key: WindowKey; used: number }>();
    for (const row of recorded) {
      const limit = plan.limits.operations[row.operation];
      for (const window of OPERATION_WINDOWS) {
        if (limit?.windows[window] === undefined) continue;
        const start =
          window === 'month' ? row.periodStart : windowStart(row.occurredAt, FIXED_WINDOW_MS[window]);
        const id = `${row.operation}:${window}:${start}`;
        const entry = expected.get(id) ?? { key: { operation: row.operation, window, start }, used: 0 };
        entry.used += row.quantity;
        expected.set(id, entry);
      }
    }
    const entries = [...expected.values()];
    const counted = await store.getWindowUsage(
      customer.id,
      entries.map((entry) => entry.key),
    );
    entries.forEach((entry, index) => {
      expect(counted[index]?.used).toBe(entry.used);
      const limit = plan.limits.operations[entry.key.operation]!;
      const ceiling = entry.key.window === 'month' ? monthCeiling(limit) : limit.windows[entry.key.window]!;
      if (ceiling !== null) expect(entry.used).toBeLessThanOrEqual(ceiling);
    });
  }
});
