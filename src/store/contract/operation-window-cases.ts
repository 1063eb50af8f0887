/**
 * Operation windows in commitUsage: counted in the same transaction as credits, refused before
 * credits, exact when batches race over several store instances, and readable back
 * (`getWindowUsage`, `sumOperationQuantities`).
 */
import { describe, expect, it } from 'vitest';
import type { WindowDebit } from '../../core/ports.js';
import { type ContractContext, count, debit, PERIOD, T0, withStoreInstances } from './contract-context.js';

const DAY = Date.UTC(2026, 0, 15);
const NEXT_DAY = DAY + 86_400_000;

const day = (limit: number | null, start = DAY): WindowDebit => ({
  window: 'day',
  start,
  limit,
  included: null,
});
const month = (limit: number | null, included: number | null = null): WindowDebit => ({
  window: 'month',
  start: PERIOD,
  limit,
  included,
});

export function describeOperationWindowCases(context: ContractContext): void {
  describe('commitUsage with operation windows', () => {
    it('counts each window in the same commit as the credits, and reads them back', async () => {
      const { id } = await context.newCustomer();
      const outcomes = await context.store.commitUsage(
        [
          debit(id, { operation: 'video', quantity: 2, windows: [day(3), month(null)] }),
          debit(id, { operation: 'video', quantity: 1, windows: [day(3, NEXT_DAY), month(null)] }),
          debit(id, { operation: 'match', quantity: 5, windows: [month(10)] }),
        ],
        T0,
      );
      expect(outcomes.map((outcome) => outcome.kind === 'recorded' && outcome.windows)).toEqual([
        [2, 2],
        [1, 3],
        [5],
      ]);
      expect(
        await context.store.getWindowUsage(id, [
          { operation: 'video', window: 'day', start: DAY },
          { operation: 'video', window: 'day', start: NEXT_DAY },
          { operation: 'video', window: 'month', start: PERIOD },
          { operation: 'match', window: 'month', start: PERIOD },
          { operation: 'match', window: 'day', start: DAY },
        ]),
      ).toEqual([
        { used: 2, overage: 0 },
        { used: 1, overage: 0 },
        { used: 3, overage: 0 },
        { used: 5, overage: 0 },
        { used: 0, overage: 0 },
      ]);
      expect(await context.store.sumOperationQuantities(id, PERIOD)).toEqual({ video: 3, match: 5 });
      expect((await context.store.getPeriodUsage(id, PERIOD)).used).toBe(3000);
    });

    it('refuses a debit that would pass a window and records nothing for it', async () => {
      const { id } = await context.newCustomer();
      await context.store.commitUsage(
        [debit(id, { operation: 'video', quantity: 2, windows: [day(3)] })],
        T0,
      );
      const [refused] = await context.store.commitUsage(
        [debit(id, { operation: 'video', quantity: 2, windows: [day(3), month(100)] })],
        T0,
      );
      expect(refused).toEqual({ kind: 'denied', used: 1000, window: { window: 'day', limit: 3, used: 2 } });
      expect(
        await context.store.getWindowUsage(id, [
          { operation: 'video', window: 'day', start: DAY },
          { operation: 'video', window: 'month', start: PERIOD },
        ]),
      ).toEqual([
        { used: 2, overage: 0 },
        { used: 0, overage: 0 },
      ]);
      expect(await context.store.sumUsageEvents(id, PERIOD)).toEqual({ cost: 1000, events: 1 });
    });

    it('keeps the overage units of a month window that bills them', async () => {
      const { id } = await context.newCustomer();
      const outcomes = await context.store.commitUsage(
        Array.from({ length: 4 }, () =>
          debit(id, { operation: 'api_call', quantity: 4, windows: [month(14, 10)] }),
        ),
        T0,
      );
      expect(outcomes.map((outcome) => outcome.kind)).toEqual(['recorded', 'recorded', 'recorded', 'denied']);
      expect(
        await context.store.getWindowUsage(id, [{ operation: 'api_call', window: 'month', start: PERIOD }]),
      ).toEqual([{ used: 12, overage: 2 }]);
    });

    it('answers a retry with the windows as they stand and counts it once', async () => {
      const { id } = await context.newCustomer();
      const keyed = debit(id, {
        operation: 'video',
        idempotencyKey: 'v1',
        requestHash: 'h',
        windows: [day(3)],
      });
      await context.store.commitUsage([keyed], T0);
      const [replay] = await context.store.commitUsage([keyed], T0);
      expect(replay).toMatchObject({ kind: 'recorded', replayed: true, windows: [1] });
      expect(
        await context.store.getWindowUsage(id, [{ operation: 'video', window: 'day', start: DAY }]),
      ).toEqual([{ used: 1, overage: 0 }]);
    });

    it('admits exactly the window limit when 400 batches race over several stores', async () => {
      const { id } = await context.newCustomer();
      await withStoreInstances(context, async (stores) => {
        const outcomes = (
          await Promise.all(
            Array.from({ length: 400 }, (_, index) =>
              stores[index % stores.length]!.commitUsage(
                [debit(id, { operation: 'video', cost: 0, windows: [day(37), month(1000)] })],
                T0,
              ),
            ),
          )
        ).flat();
        expect(count(outcomes, 'recorded')).toBe(37);
        expect(count(outcomes, 'denied')).toBe(363);
        expect(
          await context.store.getWindowUsage(id, [
            { operation: 'video', window: 'day', start: DAY },
            { operation: 'video', window: 'month', start: PERIOD },
          ]),
        ).toEqual([
          { used: 37, overage: 0 },
          { used: 37, overage: 0 },
        ]);
        expect(await context.store.sumOperationQuantities(id, PERIOD)).toEqual({ video: 37 });
      });
    });
  });
}
