/**
 * commitUsage on its own: admission against limits, overage, idempotent replays and conflicts,
 * periods, atomic failure, and a property check against the core rule run on an in-memory model.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type CounterState,
  counterKey,
  decideDebits,
  idempotencyScope,
  type KnownEvent,
} from '../../core/ledger/decide-debits.js';
import { type ContractContext, count, debit, NEXT_PERIOD, PERIOD, T0, unique } from './contract-context.js';

export function describeUsageCases(context: ContractContext): void {
  describe('commitUsage', () => {
    it('answers an empty batch with no outcomes', async () => {
      expect(await context.store.commitUsage([], T0)).toEqual([]);
    });

    it('admits debits until the limit, then denies, with exact totals', async () => {
      const { id } = await context.newCustomer();
      const batch = Array.from({ length: 8 }, () => debit(id, { limit: 5000 }));
      const outcomes = await context.store.commitUsage(batch, T0);
      expect(outcomes.map((outcome) => outcome.kind)).toEqual([
        ...Array<string>(5).fill('recorded'),
        ...Array<string>(3).fill('denied'),
      ]);
      expect(outcomes.map((outcome) => (outcome.kind === 'conflict' ? -1 : outcome.used))).toEqual([
        1000, 2000, 3000, 4000, 5000, 5000, 5000, 5000,
      ]);
      // A later batch sees the stored counter.
      expect(
        await context.store.commitUsage(
          [debit(id, { limit: 5000, cost: 0 }), debit(id, { limit: 5000 })],
          T0,
        ),
      ).toEqual([expect.objectContaining({ kind: 'recorded', used: 5000 }), { kind: 'denied', used: 5000 }]);
      expect(await context.store.getPeriodUsage(id, PERIOD)).toEqual({
        customerId: id,
        periodStart: PERIOD,
        used: 5000,
        overage: 0,
      });
      expect(await context.store.sumUsageEvents(id, PERIOD)).toEqual({ cost: 5000, events: 6 });
    });

    it('admits everything when the limit is unlimited', async () => {
      const { id } = await context.newCustomer();
      const outcomes = await context.store.commitUsage(
        Array.from({ length: 50 }, () => debit(id, { cost: 1_000_000 })),
        T0,
      );
      expect(count(outcomes, 'recorded')).toBe(50);
      expect((await context.store.getPeriodUsage(id, PERIOD)).used).toBe(50_000_000);
    });

    it('splits the part above the included quota off as overage', async () => {
      const { id } = await context.newCustomer();
      const batch = Array.from({ length: 4 }, () => debit(id, { cost: 1500, included: 2000, limit: 5000 }));
      const outcomes = await context.store.commitUsage(batch, T0);
      expect(outcomes).toEqual([
        expect.objectContaining({ kind: 'recorded', used: 1500, overage: 0 }),
        expect.objectContaining({ kind: 'recorded', used: 3000, overage: 1000 }),
        expect.objectContaining({ kind: 'recorded', used: 4500, overage: 1500 }),
        { kind: 'denied', used: 4500 },
      ]);
      expect(await context.store.getPeriodUsage(id, PERIOD)).toMatchObject({ used: 4500, overage: 2500 });
      const events = await context.store.listUsageEvents(id, 0, Number.MAX_SAFE_INTEGER, 10);
      expect(events.map((event) => [event.cost, event.overage, event.usedAfter])).toEqual([
        [1500, 0, 1500],
        [1500, 1000, 3000],
        [1500, 1500, 4500],
      ]);
    });

    it('replays a known idempotency key with the first answer and counts it once', async () => {
      const { id } = await context.newCustomer();
      const first = await context.store.commitUsage(
        [debit(id, { idempotencyKey: 'req-1', requestHash: 'h1' })],
        T0,
      );
      expect(first[0]).toMatchObject({ kind: 'recorded', used: 1000, replayed: false });
      await context.store.commitUsage([debit(id)], T0);
      const again = await context.store.commitUsage(
        [debit(id, { idempotencyKey: 'req-1', requestHash: 'h1' })],
        T0 + 1,
      );
      expect(again).toEqual([{ ...first[0], replayed: true }]);
      expect(await context.store.sumUsageEvents(id, PERIOD)).toEqual({ cost: 2000, events: 2 });
      expect((await context.store.getPeriodUsage(id, PERIOD)).used).toBe(2000);
    });

    it('finds an event by its idempotency key, for that customer only', async () => {
      const { id } = await context.newCustomer();
      const other = await context.newCustomer();
      const [first] = await context.store.commitUsage(
        [debit(id, { idempotencyKey: 'req-9', requestHash: 'h9' })],
        T0,
      );
      const found = await context.store.findUsageEvent(id, 'req-9');
      expect(found).toMatchObject({
        idempotencyKey: 'req-9',
        requestHash: 'h9',
        cost: 1000,
        usedAfter: 1000,
      });
      expect(first).toMatchObject({ kind: 'recorded', eventId: found?.id });
      expect(await context.store.findUsageEvent(other.id, 'req-9')).toBeUndefined();
      expect(await context.store.findUsageEvent(id, 'req-unknown')).toBeUndefined();
    });

    it('answers a conflict for a known key with a different payload', async () => {
      const { id } = await context.newCustomer();
      const [first] = await context.store.commitUsage(
        [debit(id, { idempotencyKey: 'req-1', requestHash: 'h1' })],
        T0,
      );
      const [other] = await context.store.commitUsage(
        [debit(id, { idempotencyKey: 'req-1', requestHash: 'h2' })],
        T0,
      );
      expect(first?.kind).toBe('recorded');
      expect(other).toEqual({ kind: 'conflict', eventId: first?.kind === 'recorded' ? first.eventId : '' });
      expect(await context.store.sumUsageEvents(id, PERIOD)).toEqual({ cost: 1000, events: 1 });
    });

    it('decides duplicate keys within one batch like separate requests', async () => {
      const { id } = await context.newCustomer();
      const outcomes = await context.store.commitUsage(
        [
          debit(id, { idempotencyKey: 'k', requestHash: 'h' }),
          debit(id, { idempotencyKey: 'k', requestHash: 'h' }),
          debit(id, { idempotencyKey: 'k', requestHash: 'other' }),
        ],
        T0,
      );
      const first = outcomes[0];
      if (first?.kind !== 'recorded') throw new Error('first debit not recorded');
      expect(outcomes.slice(1)).toEqual([
        { ...first, replayed: true },
        { kind: 'conflict', eventId: first.eventId },
      ]);
      expect(await context.store.sumUsageEvents(id, PERIOD)).toEqual({ cost: 1000, events: 1 });
    });

    it('scopes idempotency keys to their customer', async () => {
      const [a, b] = [await context.newCustomer(), await context.newCustomer()];
      const outcomes = await context.store.commitUsage(
        [debit(a.id, { idempotencyKey: 'same' }), debit(b.id, { idempotencyKey: 'same' })],
        T0,
      );
      expect(outcomes.map((outcome) => outcome.kind === 'recorded' && !outcome.replayed)).toEqual([
        true,
        true,
      ]);
    });

    it('keeps each period in its own counter', async () => {
      const { id } = await context.newCustomer();
      const outcomes = await context.store.commitUsage(
        [
          debit(id, { limit: 1000 }),
          debit(id, { limit: 1000, periodStart: NEXT_PERIOD }),
          debit(id, { limit: 1000 }),
        ],
        T0,
      );
      expect(outcomes.map((outcome) => outcome.kind)).toEqual(['recorded', 'recorded', 'denied']);
      expect((await context.store.getPeriodUsage(id, PERIOD)).used).toBe(1000);
      expect((await context.store.getPeriodUsage(id, NEXT_PERIOD)).used).toBe(1000);
      expect(await context.store.getPeriodUsage(id, NEXT_PERIOD + 1)).toEqual({
        customerId: id,
        periodStart: NEXT_PERIOD + 1,
        used: 0,
        overage: 0,
      });
    });

    it('lists events recorded in [from, to), oldest first, at most limit', async () => {
      const { id } = await context.newCustomer();
      for (const recordedAt of [T0 + 30, T0 + 10, T0 + 20, T0 + 40]) {
        await context.store.commitUsage(
          [debit(id, { cost: recordedAt - T0, operation: `op${recordedAt - T0}` })],
          recordedAt,
        );
      }
      const events = await context.store.listUsageEvents(id, T0 + 10, T0 + 40, 2);
      expect(events.map((event) => [event.operation, event.recordedAt])).toEqual([
        ['op10', T0 + 10],
        ['op20', T0 + 20],
      ]);
      expect(events[0]).toEqual({
        id: expect.any(String),
        customerId: id,
        periodStart: PERIOD,
        operation: 'op10',
        quantity: 1,
        cost: 10,
        overage: 0,
        usedAfter: 40,
        idempotencyKey: null,
        requestHash: null,
        occurredAt: T0,
        recordedAt: T0 + 10,
        metadata: null,
      });
    });

    it('writes nothing of a batch whose event insert fails, and keeps working after', async () => {
      const { id } = await context.newCustomer();
      // NaN cannot be stored as an integer, so the failure comes after the counters were decided.
      const failing = [debit(id), debit(id, { periodStart: NEXT_PERIOD }), debit(id, { cost: Number.NaN })];
      await expect(context.store.commitUsage(failing, T0)).rejects.toThrow();
      expect(await context.store.getPeriodUsage(id, PERIOD)).toMatchObject({ used: 0, overage: 0 });
      expect(await context.store.getPeriodUsage(id, NEXT_PERIOD)).toMatchObject({ used: 0, overage: 0 });
      expect(await context.store.sumUsageEvents(id, PERIOD)).toEqual({ cost: 0, events: 0 });

      const [outcome] = await context.store.commitUsage([debit(id)], T0);
      expect(outcome).toMatchObject({ kind: 'recorded', used: 1000 });
    });

    it('rejects a batch with a debit for an unknown customer as a whole', async () => {
      const { id } = await context.newCustomer();
      await expect(
        context.store.commitUsage([debit(id), debit(unique('cus_missing'))], T0),
      ).rejects.toThrow();
      expect(await context.store.sumUsageEvents(id, PERIOD)).toEqual({ cost: 0, events: 0 });
      expect((await context.store.getPeriodUsage(id, PERIOD)).used).toBe(0);
    });

    it('keeps counters equal to the sum of events and within limits, deciding like the core rule', async () => {
      const debitShape = fc.record({
        customer: fc.integer({ min: 0, max: 2 }),
        period: fc.integer({ min: 0, max: 1 }),
        cost: fc.integer({ min: 0, max: 3000 }),
        key: fc.option(fc.integer({ min: 0, max: 5 }), { nil: null }),
        hash: fc.integer({ min: 0, max: 1 }),
      });
      const scenario = fc.record({
        limits: fc.array(fc.option(fc.integer({ min: 0, max: 10_000 }), { nil: null }), {
          minLength: 6,
          maxLength: 6,
        }),
        includedShare: fc.double({ min: 0, max: 1, noNaN: true }),
        batches: fc.array(fc.array(debitShape, { minLength: 1, maxLength: 25 }), {
          minLength: 1,
          maxLength: 5,
        }),
      });

      await fc.assert(
        fc.asyncProperty(scenario, async ({ limits, includedShare, batches }) => {
          const customers = [
            await context.newCustomer(),
            await context.newCustomer(),
            await context.newCustomer(),
          ].map((c) => c.id);
          const periods = [PERIOD, NEXT_PERIOD];
          const limitOf = (customer: number, period: number) => limits[customer * 2 + period] ?? null;

          // The model: the core rule over in-memory state, with its own event ids mapped to the context.store's.
          const modelCounters = new Map<string, CounterState>();
          const modelKnown = new Map<string, KnownEvent>();
          const storeIdOf = new Map<string, string>();
          let modelIds = 0;

          for (const shapes of batches) {
            const batch = shapes.map((shape) => {
              const limit = limitOf(shape.customer, shape.period);
              return debit(customers[shape.customer]!, {
                periodStart: periods[shape.period]!,
                cost: shape.cost,
                limit,
                included: limit === null ? null : Math.floor(limit * includedShare),
                idempotencyKey: shape.key === null ? null : `key-${shape.key}`,
                requestHash: `hash-${shape.hash}`,
              });
            });
            const outcomes = await context.store.commitUsage(batch, T0);
            const expected = decideDebits(batch, modelCounters, modelKnown, T0, () => `model-${modelIds++}`);

            expect(outcomes).toHaveLength(batch.length);
            expected.outcomes.forEach((want, index) => {
              const got = outcomes[index]!;
              expect(got.kind).toBe(want.kind);
              if (want.kind === 'recorded' && got.kind === 'recorded') {
                expect([got.used, got.overage, got.replayed]).toEqual([
                  want.used,
                  want.overage,
                  want.replayed,
                ]);
                if (want.replayed) expect(got.eventId).toBe(storeIdOf.get(want.eventId));
                else storeIdOf.set(want.eventId, got.eventId);
              } else if (want.kind === 'conflict' && got.kind === 'conflict') {
                expect(got.eventId).toBe(storeIdOf.get(want.eventId));
              } else {
                expect(got).toEqual(want);
              }
            });
            for (const [key, counter] of expected.counters) modelCounters.set(key, counter);
            for (const event of expected.events) {
              if (event.idempotencyKey === null) continue;
              modelKnown.set(idempotencyScope(event.customerId, event.idempotencyKey), {
                eventId: event.id,
                requestHash: event.requestHash,
                usedAfter: event.usedAfter,
                overage: event.overage,
              });
            }
          }

          for (const [customerIndex, customerId] of customers.entries()) {
            for (const [periodIndex, periodStart] of periods.entries()) {
              const usage = await context.store.getPeriodUsage(customerId, periodStart);
              const sum = await context.store.sumUsageEvents(customerId, periodStart);
              const model = modelCounters.get(counterKey(customerId, periodStart)) ?? {
                used: 0,
                overage: 0,
              };
              expect(usage.used).toBe(sum.cost);
              expect([usage.used, usage.overage]).toEqual([model.used, model.overage]);
              const limit = limitOf(customerIndex, periodIndex);
              if (limit !== null) expect(usage.used).toBeLessThanOrEqual(limit);
            }
          }
        }),
        { numRuns: 25 },
      );
    });
  });
}
