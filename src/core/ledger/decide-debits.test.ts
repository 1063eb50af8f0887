import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { UsageDebit } from '../ports.js';
import {
  counterKey,
  decideDebits,
  idempotencyScope,
  keyCounterKey,
  windowCounterKey,
} from './decide-debits.js';

const debit = (overrides: Partial<UsageDebit> = {}): UsageDebit => ({
  customerId: 'cus_a',
  periodStart: 0,
  operation: 'capture',
  quantity: 1,
  cost: 1000,
  limit: 3000,
  included: 3000,
  idempotencyKey: null,
  requestHash: null,
  occurredAt: 1,
  ...overrides,
});

let sequence = 0;
const nextId = () => `ue_${++sequence}`;

describe('decideDebits', () => {
  it('admits debits in order until the limit, then denies without counting', () => {
    const decision = decideDebits([debit(), debit(), debit(), debit()], new Map(), new Map(), 5, nextId);
    expect(decision.outcomes.map((o) => o.kind)).toEqual(['recorded', 'recorded', 'recorded', 'denied']);
    expect(decision.counters.get(counterKey('cus_a', 0))?.used).toBe(3000);
    expect(decision.events).toHaveLength(3);
  });

  it('starts from the stored counter and keeps periods and customers apart', () => {
    const current = new Map([[counterKey('cus_a', 0), { used: 2500, overage: 0 }]]);
    const decision = decideDebits(
      [debit(), debit({ periodStart: 100 }), debit({ customerId: 'cus_b' })],
      current,
      new Map(),
      5,
      nextId,
    );
    expect(decision.outcomes.map((o) => o.kind)).toEqual(['denied', 'recorded', 'recorded']);
  });

  it("counts other instances' leased units as taken, and as used before a debit when splitting overage", () => {
    // 1,000 used and 1,500 held by quota leases: 500 of the 3,000 left, then denied.
    const leased = new Map([[counterKey('cus_a', 0), { used: 1000, overage: 0, leased: 1500 }]]);
    const limited = decideDebits([debit({ cost: 500 }), debit({ cost: 500 })], leased, new Map(), 5, nextId);
    expect(limited.outcomes.map((o) => o.kind)).toEqual(['recorded', 'denied']);
    expect(limited.counters.get(counterKey('cus_a', 0))).toMatchObject({ used: 1500, leased: 1500 });
    // With an overage ceiling of 6,000: the leased units come first, so 1,000 of this 1,500 is overage.
    const billed = decideDebits([debit({ cost: 1500, limit: 6000 })], leased, new Map(), 5, nextId);
    expect(billed.outcomes[0]).toMatchObject({ kind: 'recorded', used: 2500, overage: 1000 });
  });

  it('splits usage past the included quota into overage, up to the ceiling', () => {
    // Included quota 3,000 milli-credits, ceiling 6,000 with the overage allowance.
    const withOverage = decideDebits(
      [
        debit({ cost: 2000, limit: 6000 }),
        debit({ cost: 2000, limit: 6000 }),
        debit({ cost: 2000, limit: 6000 }),
        debit({ cost: 2000, limit: 6000 }),
      ],
      new Map(),
      new Map(),
      5,
      nextId,
    );
    expect(withOverage.outcomes.map((o) => (o.kind === 'recorded' ? o.overage : o.kind))).toEqual([
      0,
      1000,
      2000,
      'denied',
    ]);
    expect(withOverage.counters.get(counterKey('cus_a', 0))).toMatchObject({ used: 6000, overage: 3000 });
  });

  it('answers a retry with the first answer and a different payload with a conflict', () => {
    const known = new Map([
      [idempotencyScope('cus_a', 'k1'), { eventId: 'ue_old', requestHash: 'h1', usedAfter: 700, overage: 0 }],
    ]);
    const decision = decideDebits(
      [
        debit({ idempotencyKey: 'k1', requestHash: 'h1' }),
        debit({ idempotencyKey: 'k1', requestHash: 'h2' }),
        debit({ idempotencyKey: 'k2', requestHash: 'h1' }),
        debit({ idempotencyKey: 'k2', requestHash: 'h1' }),
      ],
      new Map(),
      known,
      5,
      nextId,
    );
    expect(decision.outcomes[0]).toEqual({
      kind: 'recorded',
      eventId: 'ue_old',
      used: 700,
      overage: 0,
      replayed: true,
    });
    expect(decision.outcomes[1]).toEqual({ kind: 'conflict', eventId: 'ue_old' });
    expect(decision.outcomes[2]).toMatchObject({ kind: 'recorded', replayed: false });
    expect(decision.outcomes[3]).toMatchObject({ kind: 'recorded', replayed: true });
    expect(decision.events).toHaveLength(1);
  });

  it('never lets a period pass its limit and counters equal the sum of events (property)', () => {
    const arbitraryDebit = fc.record({
      customerId: fc.constantFrom('a', 'b'),
      periodStart: fc.constantFrom(0, 1),
      cost: fc.integer({ min: 0, max: 5000 }),
      limit: fc.option(fc.integer({ min: 0, max: 20_000 }), { nil: null }),
      idempotencyKey: fc.option(fc.constantFrom('x', 'y', 'z'), { nil: null }),
    });
    fc.assert(
      fc.property(fc.array(arbitraryDebit, { maxLength: 60 }), (drafts) => {
        const debits = drafts.map((d) =>
          debit({ ...d, included: d.limit, requestHash: d.idempotencyKey ? 'same' : null }),
        );
        const decision = decideDebits(debits, new Map(), new Map(), 5, nextId);
        for (const [key, state] of decision.counters) {
          const events = decision.events.filter((e) => counterKey(e.customerId, e.periodStart) === key);
          expect(state.used).toBe(events.reduce((sum, e) => sum + e.cost, 0));
        }
        debits.forEach((d, index) => {
          const outcome = decision.outcomes[index];
          if (outcome?.kind === 'recorded' && !outcome.replayed && d.limit !== null) {
            expect(outcome.used).toBeLessThanOrEqual(d.limit);
          }
        });
      }),
      { numRuns: 500 },
    );
  });
});

describe('decideDebits with operation windows', () => {
  const day = (limit: number | null, start = 0) => ({ window: 'day' as const, start, limit, included: null });
  const month = (limit: number | null, included: number | null) => ({
    window: 'month' as const,
    start: 0,
    limit,
    included,
  });

  it('refuses a debit that would pass a window, naming it, and counts nothing for it', () => {
    const windows = [day(5), month(100, null)];
    const decision = decideDebits(
      [
        debit({ quantity: 3, limit: null, windows }),
        debit({ quantity: 3, limit: null, windows }),
        debit({ quantity: 2, limit: null, windows }),
      ],
      new Map(),
      new Map(),
      5,
      nextId,
    );
    expect(decision.outcomes).toEqual([
      expect.objectContaining({ kind: 'recorded', windows: [3, 3] }),
      { kind: 'denied', used: 1000, window: { window: 'day', limit: 5, used: 3 } },
      expect.objectContaining({ kind: 'recorded', windows: [5, 5] }),
    ]);
    expect(decision.events).toHaveLength(2);
    expect(decision.counters.get(counterKey('cus_a', 0))?.used).toBe(2000);
    expect([...decision.windows.values()].map((counter) => [counter.window, counter.used])).toEqual([
      ['day', 5],
      ['month', 5],
    ]);
  });

  it('checks operation windows before credits, and a credit denial leaves the windows alone', () => {
    const decision = decideDebits(
      [debit({ cost: 4000, windows: [day(1)] }), debit({ cost: 4000, windows: [day(10)] })],
      new Map(),
      new Map(),
      5,
      nextId,
    );
    expect(decision.outcomes).toEqual([
      { kind: 'denied', used: 0 },
      { kind: 'denied', used: 0 },
    ]);
    expect(decision.windows.size).toBe(0);
    const windowFirst = decideDebits(
      [debit({ cost: 4000, quantity: 2, windows: [day(1)] })],
      new Map(),
      new Map(),
      5,
      nextId,
    );
    expect(windowFirst.outcomes[0]).toEqual({
      kind: 'denied',
      used: 0,
      window: { window: 'day', limit: 1, used: 0 },
    });
  });

  it('starts from stored window counters and keeps window starts apart', () => {
    const stored = new Map([[windowCounterKey('cus_a', 'capture', 'day', 0), { used: 4, overage: 0 }]]);
    const decision = decideDebits(
      [debit({ limit: null, windows: [day(5)] }), debit({ limit: null, windows: [day(5, 86_400_000)] })],
      new Map(),
      new Map(),
      5,
      nextId,
      stored,
    );
    expect(decision.outcomes.map((outcome) => outcome.kind === 'recorded' && outcome.windows)).toEqual([
      [5],
      [1],
    ]);
  });

  it('admits past an included month limit up to its ceiling, splitting off the overage units', () => {
    const windows = [month(12, 10)];
    const decision = decideDebits(
      Array.from({ length: 5 }, () => debit({ quantity: 3, limit: null, windows })),
      new Map(),
      new Map(),
      5,
      nextId,
    );
    expect(decision.outcomes.map((outcome) => outcome.kind)).toEqual([
      'recorded',
      'recorded',
      'recorded',
      'recorded',
      'denied',
    ]);
    const counter = [...decision.windows.values()][0];
    expect(counter).toMatchObject({ used: 12, overage: 2 });
    expect(decision.outcomes[4]).toEqual({
      kind: 'denied',
      used: 4000,
      window: { window: 'month', limit: 10, used: 12 },
    });
  });

  it('answers a replay with the windows as they stand, counting nothing again', () => {
    const windows = [day(5)];
    const keyed = { idempotencyKey: 'k', requestHash: 'h', limit: null, windows };
    const decision = decideDebits(
      [debit(keyed), debit({ limit: null, windows }), debit(keyed)],
      new Map(),
      new Map(),
      5,
      nextId,
    );
    expect(decision.outcomes[2]).toMatchObject({ kind: 'recorded', replayed: true, windows: [2] });
    expect(decision.events).toHaveLength(2);
  });
});

describe('decideDebits with reservations', () => {
  const reserve = (id: string, overrides: Partial<UsageDebit> = {}) =>
    debit({ reservation: { action: 'reserve', id, expiresAt: 60_000 }, ...overrides });
  const windows = [{ window: 'day' as const, start: 0, limit: 10, included: null }];

  it('counts holds like usage: a reserve holds without an event, and debits see the hold', () => {
    const decision = decideDebits(
      [reserve('rsv_1', { cost: 2000 }), debit(), debit()],
      new Map(),
      new Map(),
      5,
      nextId,
    );
    expect(decision.outcomes.map((o) => o.kind)).toEqual(['recorded', 'recorded', 'denied']);
    expect(decision.counters.get(counterKey('cus_a', 0))).toMatchObject({ used: 1000, held: 2000 });
    expect(decision.events).toHaveLength(1);
    expect(decision.reservations).toMatchObject([{ id: 'rsv_1', status: 'held', expiresAt: 60_000 }]);
  });

  it('holds operation window units and refuses what would pass the window with them', () => {
    const decision = decideDebits(
      [reserve('rsv_1', { quantity: 8, cost: 0, windows }), debit({ quantity: 3, cost: 0, windows })],
      new Map(),
      new Map(),
      5,
      nextId,
      new Map([[windowCounterKey('cus_a', 'capture', 'day', 0), { used: 1, overage: 0 }]]),
    );
    expect(decision.outcomes[0]).toMatchObject({ kind: 'recorded', windows: [9] });
    expect(decision.outcomes[1]).toMatchObject({ kind: 'denied', window: { used: 1 } });
  });

  it('settles past the limit (recorded, over the limit) and frees the hold', () => {
    const current = new Map([[counterKey('cus_a', 0), { used: 1000, overage: 0, held: 2000 }]]);
    const held = new Map([['rsv_1', { status: 'held' as const, cost: 2000, quantity: 2 }]]);
    const settle = debit({
      quantity: 3,
      cost: 3000,
      idempotencyKey: 'reservation:rsv_1',
      requestHash: 'settle:3',
      reservation: { action: 'settle', id: 'rsv_1' },
    });
    const decision = decideDebits([settle, settle], current, new Map(), 5, nextId, undefined, held);
    expect(decision.outcomes[0]).toMatchObject({ kind: 'recorded', used: 4000, overLimit: true });
    // The same settle again in the batch is a replay of the first.
    expect(decision.outcomes[1]).toMatchObject({ kind: 'recorded', replayed: true, used: 4000 });
    expect(decision.counters.get(counterKey('cus_a', 0))).toMatchObject({ used: 4000, held: 0 });
    expect(decision.reservations).toMatchObject([{ id: 'rsv_1', status: 'settled' }]);
  });

  it('refuses to settle or release a reservation that is not held, changing nothing', () => {
    const held = new Map([
      ['rsv_gone', { status: 'expired' as const, cost: 2000, quantity: 2 }],
      ['rsv_1', { status: 'held' as const, cost: 2000, quantity: 2 }],
    ]);
    const decision = decideDebits(
      [
        debit({ reservation: { action: 'settle', id: 'rsv_gone' }, idempotencyKey: 'reservation:rsv_gone' }),
        debit({ quantity: 0, cost: 0, reservation: { action: 'release', id: 'rsv_1' } }),
        debit({ quantity: 0, cost: 0, reservation: { action: 'release', id: 'rsv_1' } }),
      ],
      new Map([[counterKey('cus_a', 0), { used: 0, overage: 0, held: 2000 }]]),
      new Map(),
      5,
      nextId,
      undefined,
      held,
    );
    expect(decision.outcomes).toMatchObject([
      { kind: 'conflict', reservation: 'expired' },
      { kind: 'recorded', eventId: 'rsv_1' },
      { kind: 'conflict', reservation: 'released' },
    ]);
    expect(decision.counters.get(counterKey('cus_a', 0))).toMatchObject({ held: 0 });
    expect(decision.events).toHaveLength(0);
  });

  describe("a key's own credit limit", () => {
    const keyed = (overrides: Partial<UsageDebit> = {}) =>
      debit({ limit: 10_000, included: 10_000, keyId: 'key_a', keyLimit: 2000, ...overrides });

    it("admits inside the key's limit, then denies naming the key and changing no counter", () => {
      const decision = decideDebits(
        [keyed(), keyed(), keyed(), debit({ limit: 10_000, keyId: 'key_b' })],
        new Map(),
        new Map(),
        5,
        nextId,
      );
      expect(decision.outcomes.map((o) => o.kind)).toEqual(['recorded', 'recorded', 'denied', 'recorded']);
      expect(decision.outcomes[2]).toEqual({
        kind: 'denied',
        used: 2000,
        key: { id: 'key_a', limit: 2000, used: 2000 },
      });
      expect(decision.counters.get(counterKey('cus_a', 0))?.used).toBe(3000);
      expect(decision.keyCounters.get(keyCounterKey('key_a', 0))?.used).toBe(2000);
      // A key without a limit has no counter; its events still carry it.
      expect(decision.keyCounters.size).toBe(1);
      expect(decision.events.map((event) => event.keyId)).toEqual(['key_a', 'key_a', 'key_b']);
    });

    it("never lets a key past its customer's limit, whatever its own", () => {
      const decision = decideDebits(
        [keyed({ keyLimit: 50_000 }), keyed({ keyLimit: 50_000 })],
        new Map([[counterKey('cus_a', 0), { used: 9000, overage: 0 }]]),
        new Map(),
        5,
        nextId,
      );
      expect(decision.outcomes.map((o) => o.kind)).toEqual(['recorded', 'denied']);
      expect(decision.outcomes[1]).toEqual({ kind: 'denied', used: 10_000 });
    });

    it("starts from the key's stored usage", () => {
      const decision = decideDebits(
        [keyed()],
        new Map(),
        new Map(),
        5,
        nextId,
        undefined,
        undefined,
        new Map([[keyCounterKey('key_a', 0), 1500]]),
      );
      expect(decision.outcomes[0]).toMatchObject({ kind: 'denied', key: { used: 1500 } });
    });
  });
});
