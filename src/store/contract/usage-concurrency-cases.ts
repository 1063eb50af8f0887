/**
 * commitUsage raced by many batches at once, over several store instances when the database can be
 * shared: exact admission, keys counted once (also across periods, where no counter lock helps).
 */
import { describe, expect, it } from 'vitest';
import type { Store } from '../../core/ports.js';
import { type ContractContext, count, debit, NEXT_PERIOD, PERIOD, T0 } from './contract-context.js';

export function describeUsageConcurrencyCases(context: ContractContext): void {
  describe('commitUsage under concurrency', () => {
    async function openStores(howMany: number): Promise<Store[]> {
      const others: Store[] = [];
      for (let index = 0; index < howMany && context.handle.openAnother; index++)
        others.push(await context.handle.openAnother());
      return others;
    }

    it('admits exactly the limit when 1,000 batches race for one customer', async () => {
      const { id } = await context.newCustomer();
      const others = await openStores(3);
      try {
        const stores = [context.store, ...others];
        const outcomes = await Promise.all(
          Array.from({ length: 1000 }, (_, index) =>
            stores[index % stores.length]!.commitUsage([debit(id, { cost: 1000, limit: 100_000 })], T0),
          ),
        );
        const flat = outcomes.flat();
        expect(count(flat, 'recorded')).toBe(100);
        expect(count(flat, 'denied')).toBe(900);
        expect((await context.store.getPeriodUsage(id, PERIOD)).used).toBe(100_000);
        expect(await context.store.sumUsageEvents(id, PERIOD)).toEqual({ cost: 100_000, events: 100 });
      } finally {
        await Promise.all(others.map((other) => other.close()));
      }
    });

    it('counts a key sent by 200 racing batches once', async () => {
      const { id } = await context.newCustomer();
      const others = await openStores(3);
      try {
        const stores = [context.store, ...others];
        const outcomes = (
          await Promise.all(
            Array.from({ length: 200 }, (_, index) =>
              stores[index % stores.length]!.commitUsage(
                [debit(id, { idempotencyKey: 'once', requestHash: 'h', limit: 100_000 })],
                T0,
              ),
            ),
          )
        ).flat();
        const fresh = outcomes.filter((outcome) => outcome.kind === 'recorded' && !outcome.replayed);
        expect(fresh).toHaveLength(1);
        expect(
          new Set(outcomes.map((outcome) => (outcome.kind === 'denied' ? '' : outcome.eventId))).size,
        ).toBe(1);
        expect(await context.store.sumUsageEvents(id, PERIOD)).toEqual({ cost: 1000, events: 1 });
      } finally {
        await Promise.all(others.map((other) => other.close()));
      }
    });

    it('counts a key once when racing batches carry it under different periods', async () => {
      // Different periods lock different counter rows, so only the unique key stops the second event.
      const { id } = await context.newCustomer();
      const others = await openStores(3);
      try {
        const stores = [context.store, ...others];
        const outcomes = (
          await Promise.all(
            Array.from({ length: 100 }, (_, index) =>
              stores[index % stores.length]!.commitUsage(
                [
                  debit(id, { periodStart: index % 2 === 0 ? PERIOD : NEXT_PERIOD, cost: 0 }),
                  debit(id, {
                    periodStart: index % 2 === 0 ? PERIOD : NEXT_PERIOD,
                    idempotencyKey: 'across-periods',
                    requestHash: 'h',
                  }),
                ],
                T0,
              ),
            ),
          )
        ).flat();
        const keyed = outcomes.filter((_, index) => index % 2 === 1);
        expect(keyed.filter((outcome) => outcome.kind === 'recorded' && !outcome.replayed)).toHaveLength(1);
        expect(keyed.every((outcome) => outcome.kind === 'recorded')).toBe(true);
        const used =
          (await context.store.getPeriodUsage(id, PERIOD)).used +
          (await context.store.getPeriodUsage(id, NEXT_PERIOD)).used;
        const sums = [
          await context.store.sumUsageEvents(id, PERIOD),
          await context.store.sumUsageEvents(id, NEXT_PERIOD),
        ];
        expect(used).toBe(1000);
        expect(sums[0]!.cost + sums[1]!.cost).toBe(1000);
        expect(sums[0]!.events + sums[1]!.events).toBe(101);
      } finally {
        await Promise.all(others.map((other) => other.close()));
      }
    });
  });
}
