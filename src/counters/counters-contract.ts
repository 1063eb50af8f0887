/**
 * The behaviour every `Counters` implementation owes the core, as one suite. Each implementation's test
 * file calls `describeCountersContract` with a factory, so memory and Redis are held to the same cases,
 * including exactness under many concurrent callers.
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Counters, RateWindow } from '../core/ports.js';

export interface CountersUnderTest {
  counters: Counters;
  /** Closes the counters and removes whatever they stored. */
  cleanup(): Promise<void>;
}

const MINUTE = 60_000;
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

function minuteWindow(key: string, limit: number, now = T0): RateWindow {
  return { key: `${key}:minute`, limit, windowStart: now - (now % MINUTE), windowMs: MINUTE };
}

function dayWindow(key: string, limit: number, now = T0): RateWindow {
  return { key: `${key}:day`, limit, windowStart: now - (now % DAY), windowMs: DAY };
}

export function describeCountersContract(name: string, create: () => Promise<CountersUnderTest>): void {
  describe(`${name} counters contract`, () => {
    let subject: CountersUnderTest;
    let counters: Counters;

    beforeEach(async () => {
      subject = await create();
      counters = subject.counters;
    });

    afterEach(async () => {
      await subject.cleanup();
    });

    describe('rate windows', () => {
      it('admits `limit` hits in a window, then denies', async () => {
        const window = minuteWindow('cus_1', 3);
        for (let hit = 1; hit <= 3; hit++) {
          expect(await counters.hitRate([window])).toEqual({ allowed: true, counts: [hit] });
        }
        expect(await counters.hitRate([window])).toEqual({ allowed: false, counts: [3], deniedIndex: 0 });
        expect(await counters.peekRate([window])).toEqual([3]);
      });

      it('counts a hit in every window or in none: a full day window does not count the minute hit', async () => {
        const minute = minuteWindow('cus_1', 10);
        const day = dayWindow('cus_1', 2);
        await counters.hitRate([minute, day]);
        expect(await counters.hitRate([minute, day])).toEqual({ allowed: true, counts: [2, 2] });
        expect(await counters.hitRate([minute, day])).toEqual({
          allowed: false,
          counts: [2, 2],
          deniedIndex: 1,
        });
        expect(await counters.peekRate([minute, day])).toEqual([2, 2]);
      });

      it('names the first full window when several are full', async () => {
        const minute = minuteWindow('cus_1', 1);
        const day = dayWindow('cus_1', 1);
        await counters.hitRate([minute, day]);
        expect(await counters.hitRate([minute, day])).toMatchObject({ allowed: false, deniedIndex: 0 });
      });

      it('starts a new window from zero', async () => {
        const first = minuteWindow('cus_1', 2);
        await counters.hitRate([first]);
        await counters.hitRate([first]);
        expect((await counters.hitRate([first])).allowed).toBe(false);
        const next = minuteWindow('cus_1', 2, T0 + MINUTE);
        expect(await counters.hitRate([next])).toEqual({ allowed: true, counts: [1] });
      });

      it('keeps the windows of different keys apart', async () => {
        await counters.hitRate([minuteWindow('cus_1', 1)]);
        expect(await counters.hitRate([minuteWindow('cus_2', 1)])).toEqual({ allowed: true, counts: [1] });
      });

      it('admits nothing under a limit of zero', async () => {
        const window = minuteWindow('cus_1', 0);
        expect(await counters.hitRate([window])).toEqual({ allowed: false, counts: [0], deniedIndex: 0 });
      });

      it('admits an empty list of windows', async () => {
        expect(await counters.hitRate([])).toEqual({ allowed: true, counts: [] });
        expect(await counters.peekRate([])).toEqual([]);
        await counters.undoRate([]);
      });

      it('counts nothing when peeking', async () => {
        const window = minuteWindow('cus_1', 5);
        expect(await counters.peekRate([window])).toEqual([0]);
        await counters.hitRate([window]);
        expect(await counters.peekRate([window])).toEqual([1]);
        expect(await counters.peekRate([window])).toEqual([1]);
      });

      it('takes back one hit per window on undo, never going below zero', async () => {
        const minute = minuteWindow('cus_1', 2);
        const day = dayWindow('cus_1', 100);
        await counters.hitRate([minute, day]);
        await counters.hitRate([minute, day]);
        await counters.undoRate([minute, day]);
        expect(await counters.peekRate([minute, day])).toEqual([1, 1]);
        await counters.undoRate([minute, day]);
        await counters.undoRate([minute, day]);
        await counters.undoRate([minuteWindow('cus_never', 2)]);
        expect(await counters.peekRate([minute, day, minuteWindow('cus_never', 2)])).toEqual([0, 0, 0]);
        // The undone hits are free again, and no more than that.
        expect((await counters.hitRate([minute])).allowed).toBe(true);
        expect((await counters.hitRate([minute])).allowed).toBe(true);
        expect((await counters.hitRate([minute])).allowed).toBe(false);
      });
    });

    describe('bad arguments', () => {
      it('rejects a window without a finite start or a positive length, counting nothing', async () => {
        const good = minuteWindow('cus_1', 5);
        await expect(counters.hitRate([good, { ...good, key: 'cus_1:x', windowMs: 0 }])).rejects.toThrow(
          TypeError,
        );
        await expect(counters.hitRate([{ ...good, windowStart: Number.NaN }])).rejects.toThrow(TypeError);
        await expect(counters.hitRate([{ ...good, limit: Number.NaN }])).rejects.toThrow(TypeError);
        expect(await counters.peekRate([good])).toEqual([0]);
      });

      it('rejects a slot request with a time that is not finite', async () => {
        await expect(counters.acquireSlot('cus_1', 1, Number.NaN, T0)).rejects.toThrow(TypeError);
        await expect(counters.acquireSlot('cus_1', 1, T0, Number.POSITIVE_INFINITY)).rejects.toThrow(
          TypeError,
        );
        expect((await counters.acquireSlot('cus_1', 1, T0, T0 + 1_000)).acquired).toBe(true);
      });

      it('fails a bad call alone, not the calls made beside it', async () => {
        const good = minuteWindow('cus_1', 5);
        const [bad, fine] = await Promise.allSettled([
          counters.hitRate([{ ...good, windowMs: Number.NaN }]),
          counters.hitRate([good]),
        ]);
        expect(bad.status).toBe('rejected');
        expect(fine).toEqual({ status: 'fulfilled', value: { allowed: true, counts: [1] } });
      });

      it('never denies under an infinite limit', async () => {
        const window = minuteWindow('cus_1', Number.POSITIVE_INFINITY);
        for (let hit = 1; hit <= 3; hit++) {
          expect(await counters.hitRate([window])).toEqual({ allowed: true, counts: [hit] });
        }
        const slot = await counters.acquireSlot('cus_1', Number.POSITIVE_INFINITY, T0, T0 + 1_000);
        expect(slot.acquired).toBe(true);
      });
    });

    describe('concurrency slots', () => {
      const now = T0;
      const expiresAt = T0 + 30_000;

      it('acquires `limit` slots, then denies', async () => {
        const first = await counters.acquireSlot('cus_1', 2, now, expiresAt);
        const second = await counters.acquireSlot('cus_1', 2, now, expiresAt);
        expect(first).toMatchObject({ acquired: true, inUse: 1 });
        expect(second).toMatchObject({ acquired: true, inUse: 2 });
        expect(first.token).toEqual(expect.any(String));
        expect(second.token).not.toBe(first.token);
        expect(await counters.acquireSlot('cus_1', 2, now, expiresAt)).toEqual({ acquired: false, inUse: 2 });
      });

      it('frees one slot on release', async () => {
        const first = await counters.acquireSlot('cus_1', 2, now, expiresAt);
        await counters.acquireSlot('cus_1', 2, now, expiresAt);
        await counters.releaseSlot('cus_1', first.token!);
        expect(await counters.acquireSlot('cus_1', 2, now, expiresAt)).toMatchObject({
          acquired: true,
          inUse: 2,
        });
      });

      it('is unharmed by a double release', async () => {
        const first = await counters.acquireSlot('cus_1', 2, now, expiresAt);
        await counters.acquireSlot('cus_1', 2, now, expiresAt);
        await counters.releaseSlot('cus_1', first.token!);
        await counters.releaseSlot('cus_1', first.token!);
        expect((await counters.acquireSlot('cus_1', 2, now, expiresAt)).acquired).toBe(true);
        expect(await counters.acquireSlot('cus_1', 2, now, expiresAt)).toEqual({ acquired: false, inUse: 2 });
      });

      it('ignores a release with an unknown token or key', async () => {
        await counters.acquireSlot('cus_1', 1, now, expiresAt);
        await counters.releaseSlot('cus_1', 'not-a-token');
        await counters.releaseSlot('cus_unknown', 'not-a-token');
        expect(await counters.acquireSlot('cus_1', 1, now, expiresAt)).toEqual({ acquired: false, inUse: 1 });
      });

      it('reclaims a slot not released by its expiry', async () => {
        await counters.acquireSlot('cus_1', 1, now, expiresAt);
        expect((await counters.acquireSlot('cus_1', 1, expiresAt - 1, expiresAt + 30_000)).acquired).toBe(
          false,
        );
        expect(await counters.acquireSlot('cus_1', 1, expiresAt, expiresAt + 30_000)).toMatchObject({
          acquired: true,
          inUse: 1,
        });
      });

      it('is unharmed by a release after expiry', async () => {
        const stale = await counters.acquireSlot('cus_1', 1, now, expiresAt);
        const later = expiresAt + 1_000;
        const fresh = await counters.acquireSlot('cus_1', 1, later, later + 30_000);
        expect(fresh.acquired).toBe(true);
        await counters.releaseSlot('cus_1', stale.token!);
        // The fresh lease still holds its slot.
        expect(await counters.acquireSlot('cus_1', 1, later, later + 30_000)).toEqual({
          acquired: false,
          inUse: 1,
        });
      });

      it('keeps the slots of different keys apart', async () => {
        await counters.acquireSlot('cus_1', 1, now, expiresAt);
        expect((await counters.acquireSlot('cus_2', 1, now, expiresAt)).acquired).toBe(true);
      });
    });

    describe('exactness under concurrency', () => {
      it('admits exactly 100 of 1,000 concurrent hits on a limit of 100', async () => {
        const window = minuteWindow('cus_hot', 100);
        const results = await Promise.all(Array.from({ length: 1_000 }, () => counters.hitRate([window])));
        expect(results.filter((result) => result.allowed)).toHaveLength(100);
        expect(await counters.peekRate([window])).toEqual([100]);
        const admittedCounts = results.filter((result) => result.allowed).map((result) => result.counts[0]);
        expect(new Set(admittedCounts).size).toBe(100);
      });

      it('grants exactly 10 of 1,000 concurrent slot requests on a limit of 10', async () => {
        const results = await Promise.all(
          Array.from({ length: 1_000 }, () => counters.acquireSlot('cus_hot', 10, T0, T0 + 30_000)),
        );
        const acquired = results.filter((result) => result.acquired);
        expect(acquired).toHaveLength(10);
        expect(new Set(acquired.map((result) => result.token)).size).toBe(10);
        expect(Math.max(...results.map((result) => result.inUse))).toBe(10);
      });
    });

    describe('against a reference model', () => {
      it('agrees with a simple model on random sequences of calls', async () => {
        let run = 0;
        await fc.assert(
          fc.asyncProperty(fc.array(operation, { minLength: 1, maxLength: 40 }), async (operations) => {
            // One store for all runs: each run has its own keys.
            const key = `model_${run}`;
            // Each run starts later than the last one ended: time never runs backward for a caller.
            const model = new CountersModel(T0 + run++ * 10 * DAY);
            for (const op of operations) await applyAndCompare(counters, model, key, op);
          }),
          { numRuns: 60 },
        );
      });
    });
  });
}

type Operation =
  | { kind: 'hit' | 'peek' | 'undo'; minuteLimit: number; dayLimit: number }
  | { kind: 'acquire'; limit: number; leaseMs: number }
  | { kind: 'release'; index: number }
  | { kind: 'advance'; ms: number };

const operation: fc.Arbitrary<Operation> = fc.oneof(
  fc.record({
    kind: fc.constantFrom('hit' as const, 'peek' as const, 'undo' as const),
    minuteLimit: fc.integer({ min: 0, max: 4 }),
    dayLimit: fc.integer({ min: 0, max: 8 }),
  }),
  fc.record({
    kind: fc.constant('acquire' as const),
    limit: fc.integer({ min: 0, max: 3 }),
    leaseMs: fc.integer({ min: 1, max: 3_000 }),
  }),
  fc.record({ kind: fc.constant('release' as const), index: fc.nat(10) }),
  fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: 90_000 }) }),
);

/** The obvious implementation, to compare against: maps of counts and lists of leases. */
class CountersModel {
  constructor(public now: number) {}

  readonly counts = new Map<string, number>();
  readonly leases: { token: string; expiresAt: number; released: boolean }[] = [];

  count(window: RateWindow): number {
    return this.counts.get(`${window.key}@${window.windowStart}`) ?? 0;
  }

  add(window: RateWindow, delta: number): void {
    this.counts.set(`${window.key}@${window.windowStart}`, Math.max(0, this.count(window) + delta));
  }

  inUse(): number {
    return this.leases.filter((lease) => !lease.released && lease.expiresAt > this.now).length;
  }
}

async function applyAndCompare(
  counters: Counters,
  model: CountersModel,
  key: string,
  op: Operation,
): Promise<void> {
  if (op.kind === 'advance') {
    model.now += op.ms;
    return;
  }
  if (op.kind === 'acquire') {
    const result = await counters.acquireSlot(key, op.limit, model.now, model.now + op.leaseMs);
    const acquired = model.inUse() < op.limit;
    expect(result.acquired).toBe(acquired);
    if (result.acquired) {
      model.leases.push({ token: result.token!, expiresAt: model.now + op.leaseMs, released: false });
    }
    expect(result.inUse).toBe(model.inUse());
    return;
  }
  if (op.kind === 'release') {
    const lease = model.leases[op.index];
    if (lease === undefined) return;
    await counters.releaseSlot(key, lease.token);
    lease.released = true;
    return;
  }
  const windows = [minuteWindow(key, op.minuteLimit, model.now), dayWindow(key, op.dayLimit, model.now)];
  if (op.kind === 'peek') {
    expect(await counters.peekRate(windows)).toEqual(windows.map((window) => model.count(window)));
  } else if (op.kind === 'undo') {
    await counters.undoRate(windows);
    for (const window of windows) model.add(window, -1);
  } else {
    const before = windows.map((window) => model.count(window));
    const deniedIndex = windows.findIndex((window, i) => before[i]! >= window.limit);
    const result = await counters.hitRate(windows);
    if (deniedIndex >= 0) {
      expect(result).toEqual({ allowed: false, counts: before, deniedIndex });
    } else {
      for (const window of windows) model.add(window, 1);
      expect(result).toEqual({ allowed: true, counts: windows.map((window) => model.count(window)) });
    }
  }
}
