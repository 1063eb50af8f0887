/**
 * Per-operation overage in the meter outbox: units of an operation past its included month limit are
 * added to the operation's own meter row in the same commit as the window counter, beside (never in)
 * the credit overage, and exactly once whatever retries, denials and racing batches do.
 */
import { describe, expect, it } from 'vitest';
import type { Store, WindowDebit } from '../../core/ports.js';
import { DEFAULT_METER_WINDOW_MS } from '../meter-windows.js';
import { type ContractContext, count, debit, PERIOD, T0, withStoreInstances } from './contract-context.js';

const HOUR = DEFAULT_METER_WINDOW_MS;
const IN_HOUR = T0 + 20 * 60_000;

/** The month window of an operation with 10 units included and overage admitted up to `ceiling`. */
const billedMonth = (ceiling: number | null): WindowDebit => ({
  window: 'month',
  start: PERIOD,
  limit: ceiling,
  included: 10,
});

async function outboxOf(store: Store, customerId: string): Promise<[string, number, number][]> {
  const windows = await store.listMeterWindows({ customerId, limit: 1000 });
  return windows
    .map((window): [string, number, number] => [window.meter, window.windowStart, window.value])
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]));
}

export function describeOperationOverageCases(context: ContractContext): void {
  describe('meter outbox: per-operation overage', () => {
    it("adds an operation's units past its month limit to the operation's own meter", async () => {
      const { id } = await context.newCustomer();
      // 4 + 4 + 4 + 4 units against 10 included: 2 units past it, then 4 more, then 4 more.
      const batch = Array.from({ length: 4 }, () =>
        debit(id, { operation: 'api_call', quantity: 4, cost: 0, windows: [billedMonth(null)] }),
      );
      await context.store.commitUsage(batch, IN_HOUR);
      await context.store.commitUsage(
        [debit(id, { operation: 'api_call', quantity: 3, cost: 0, windows: [billedMonth(null)] })],
        IN_HOUR + HOUR,
      );
      expect(await outboxOf(context.store, id)).toEqual([
        ['operation:api_call', T0, 6],
        ['operation:api_call', T0 + HOUR, 3],
      ]);
      expect(
        await context.store.getWindowUsage(id, [{ operation: 'api_call', window: 'month', start: PERIOD }]),
      ).toEqual([{ used: 19, overage: 9 }]);
    });

    it('keeps credit overage and operation overage of one event on separate meters', async () => {
      const { id } = await context.newCustomer();
      await context.store.commitUsage(
        [
          debit(id, {
            operation: 'scrape',
            quantity: 12,
            cost: 2500,
            included: 1000,
            windows: [billedMonth(null)],
          }),
          debit(id, { operation: 'scrape', quantity: 1, cost: 500, included: 1000 }),
        ],
        IN_HOUR,
      );
      expect(await outboxOf(context.store, id)).toEqual([
        ['operation:scrape', T0, 2],
        ['overage', T0, 2000],
      ]);
    });

    it('writes nothing for units within the limit, refused debits or replays', async () => {
      const { id } = await context.newCustomer();
      const keyed = debit(id, {
        operation: 'api_call',
        quantity: 10,
        cost: 0,
        windows: [billedMonth(12)],
        idempotencyKey: 'k',
        requestHash: 'h',
      });
      await context.store.commitUsage([keyed], IN_HOUR);
      await context.store.commitUsage([keyed, keyed], IN_HOUR);
      expect(await outboxOf(context.store, id)).toEqual([]);
      // Past the ceiling (12): refused, nothing billed; a retry of an admitted one bills once.
      const over = debit(id, {
        operation: 'api_call',
        quantity: 2,
        cost: 0,
        windows: [billedMonth(12)],
        idempotencyKey: 'o',
        requestHash: 'o',
      });
      const outcomes = await context.store.commitUsage(
        [over, over, debit(id, { operation: 'api_call', quantity: 1, cost: 0, windows: [billedMonth(12)] })],
        IN_HOUR,
      );
      expect(outcomes.map((outcome) => outcome.kind)).toEqual(['recorded', 'recorded', 'denied']);
      await context.store.commitUsage([over], IN_HOUR + 1000);
      expect(await outboxOf(context.store, id)).toEqual([['operation:api_call', T0, 2]]);
    });

    it('holds exactly the admitted excess when 300 batches race over several stores', async () => {
      const { id } = await context.newCustomer();
      await withStoreInstances(context, async (stores) => {
        const outcomes = (
          await Promise.all(
            Array.from({ length: 300 }, (_, index) =>
              stores[index % stores.length]!.commitUsage(
                [debit(id, { operation: 'api_call', quantity: 1, cost: 0, windows: [billedMonth(250)] })],
                IN_HOUR + (index % 2) * HOUR,
              ),
            ),
          )
        ).flat();
        expect(count(outcomes, 'recorded')).toBe(250);
        const outbox = await outboxOf(context.store, id);
        expect(outbox.every(([meter]) => meter === 'operation:api_call')).toBe(true);
        expect(outbox.reduce((sum, [, , value]) => sum + value, 0)).toBe(240);
      });
    });
  });
}
