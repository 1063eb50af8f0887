/**
 * Usage events as stored and listed: metadata kept with its event (keys in one order whichever order
 * they came in, none read as null) through the multi-row inserts of both databases, and the customer's
 * events paged newest first by an event-id cursor.
 */
import { describe, expect, it } from 'vitest';
import { type ContractContext, debit, T0 } from './contract-context.js';

export function describeUsageEventCases(context: ContractContext): void {
  describe('usage events', () => {
    it('stores metadata with its event and returns it wherever the event is read', async () => {
      const { id } = await context.newCustomer();
      // 70 events: more than one multi-row INSERT on SQLite; every third carries metadata.
      const batch = Array.from({ length: 70 }, (_, index) =>
        debit(id, {
          idempotencyKey: `k-${index}`,
          requestHash: `h-${index}`,
          ...(index % 3 === 0 ? { metadata: { region: 'eu-west', model: `m-${index}` } } : {}),
        }),
      );
      const outcomes = await context.store.commitUsage(batch, T0);
      expect(outcomes.every((outcome) => outcome.kind === 'recorded')).toBe(true);

      const found = await context.store.findUsageEvent(id, 'k-3');
      expect(found?.metadata).toEqual({ model: 'm-3', region: 'eu-west' });
      // Keys come back sorted (the stored JSON is canonical), values exact.
      expect(Object.keys(found?.metadata ?? {})).toEqual(['model', 'region']);
      expect((await context.store.findUsageEvent(id, 'k-4'))?.metadata).toBeNull();

      const listed = await context.store.listUsageEvents(id, 0, Number.MAX_SAFE_INTEGER, 100);
      expect(listed).toHaveLength(70);
      expect(listed.filter((event) => event.metadata !== null)).toHaveLength(24);
      const byKey = new Map(listed.map((event) => [event.idempotencyKey, event.metadata]));
      expect(byKey.get('k-69')).toEqual({ model: 'm-69', region: 'eu-west' });
      expect(byKey.get('k-68')).toBeNull();
    });

    it('pages a customer’s events newest first, after an event id, and only its own', async () => {
      const { id } = await context.newCustomer();
      const other = await context.newCustomer();
      await context.store.commitUsage([debit(other.id)], T0 + 5);
      for (let index = 0; index < 5; index += 1) {
        await context.store.commitUsage([debit(id, { metadata: { step: String(index) } })], T0 + index);
      }
      const first = await context.store.pageUsageEvents(id, { limit: 2 });
      expect(first.hasMore).toBe(true);
      expect(first.events.map((event) => event.metadata?.step)).toEqual(['4', '3']);
      const second = await context.store.pageUsageEvents(id, { limit: 2, after: first.events[1]?.id });
      expect(second.events.map((event) => event.metadata?.step)).toEqual(['2', '1']);
      const last = await context.store.pageUsageEvents(id, { limit: 2, after: second.events[1]?.id });
      expect(last.events.map((event) => event.metadata?.step)).toEqual(['0']);
      expect(last.hasMore).toBe(false);
      expect(last.events.every((event) => event.customerId === id)).toBe(true);
    });
  });
}
