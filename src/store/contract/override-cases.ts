/**
 * Customer overrides: set, replace (keeping who created it), remove some or all, each change written
 * with its audit entry in one transaction; a refused change (the audit callback throws) writes
 * nothing; an unknown customer writes nothing; the customer change feed reaches other instances.
 */
import { describe, expect, it } from 'vitest';
import type { NewAuditEntry } from '../../core/billing/billing-records.js';
import type { CustomerOverride } from '../../core/contract/overrides.js';
import { TollgateError } from '../../core/errors.js';
import { type ContractContext, T0, unique } from './contract-context.js';

function override(
  customerId: string,
  key: string,
  value: CustomerOverride['value'],
  at = T0,
): CustomerOverride {
  return {
    customerId,
    key,
    value,
    expiresAt: null,
    reason: null,
    createdBy: 'admin:k1',
    createdAt: at,
    updatedBy: 'admin:k1',
    updatedAt: at,
  };
}

const audit =
  (customerId: string, action = 'contract.overrides_set') =>
  (before: readonly CustomerOverride[], after: readonly CustomerOverride[]): NewAuditEntry => ({
    at: T0,
    actor: 'admin:k1',
    action,
    customerId,
    details: { before: before.map((row) => row.key), after: after.map((row) => row.key) },
  });

export function describeOverrideCases(context: ContractContext): void {
  describe('customer overrides', () => {
    it('sets overrides of every value shape and reads them back by key, with the audit entry', async () => {
      const { id } = await context.newCustomer();
      const rows = [
        override(id, 'credits', 5_000_000_000),
        override(id, 'requests_per_day', null),
        { ...override(id, 'features.federation', true), expiresAt: T0 + 1000, reason: 'pilot' },
        override(id, 'overage', { unitAmount: 10, unitCredits: 1000, capAmount: null }),
        override(id, 'operations.search.overage', { unitAmount: 5, unitQuantity: 100, capAmount: 900 }),
      ];
      const result = await context.store.changeCustomerOverrides({
        customerId: id,
        set: rows,
        remove: [],
        audit: audit(id),
      });
      const sorted = [...rows].sort((a, b) => a.key.localeCompare(b.key));
      expect(result?.before).toEqual([]);
      expect(result?.after).toEqual(sorted);
      expect(await context.store.listCustomerOverrides(id)).toEqual(sorted);
      const trail = await context.store.listAudit({ customerId: id, limit: 10 });
      expect(trail.entries).toEqual([result?.audit]);
      expect(result?.audit.details).toEqual({ before: [], after: sorted.map((row) => row.key) });
    });

    it('replaces a key keeping its creator, and removes one key or all of them', async () => {
      const { id } = await context.newCustomer();
      await context.store.changeCustomerOverrides({
        customerId: id,
        set: [override(id, 'credits', 1000), override(id, 'concurrent_requests', 5)],
        remove: [],
        audit: audit(id),
      });
      const replaced = {
        ...override(id, 'credits', 2000, T0 + 5),
        updatedBy: 'admin:k2',
        createdBy: 'admin:k2',
      };
      const result = await context.store.changeCustomerOverrides({
        customerId: id,
        set: [replaced],
        remove: [],
        audit: audit(id),
      });
      expect(result?.before.map((row) => row.value)).toEqual([5, 1000]);
      expect(result?.after.find((row) => row.key === 'credits')).toEqual({
        ...replaced,
        createdBy: 'admin:k1',
        createdAt: T0,
      });

      await context.store.changeCustomerOverrides({
        customerId: id,
        set: [],
        remove: ['credits'],
        audit: audit(id, 'contract.overrides_removed'),
      });
      expect((await context.store.listCustomerOverrides(id)).map((row) => row.key)).toEqual([
        'concurrent_requests',
      ]);
      const all = await context.store.changeCustomerOverrides({
        customerId: id,
        set: [],
        remove: 'all',
        audit: audit(id, 'contract.overrides_removed'),
      });
      expect(all?.after).toEqual([]);
      expect(await context.store.listCustomerOverrides(id)).toEqual([]);
      expect((await context.store.listAudit({ customerId: id, limit: 10 })).entries).toHaveLength(4);
    });

    it('writes nothing when the change is refused inside the transaction', async () => {
      const { id } = await context.newCustomer();
      await expect(
        context.store.changeCustomerOverrides({
          customerId: id,
          set: [override(id, 'credits', 1000)],
          remove: [],
          audit: () => {
            throw new TollgateError('not_found', 'no such override');
          },
        }),
      ).rejects.toMatchObject({ code: 'not_found' });
      expect(await context.store.listCustomerOverrides(id)).toEqual([]);
      expect((await context.store.listAudit({ customerId: id, limit: 10 })).entries).toEqual([]);
    });

    it('answers undefined for a customer that does not exist, writing nothing', async () => {
      const id = unique('cus');
      expect(
        await context.store.changeCustomerOverrides({
          customerId: id,
          set: [],
          remove: 'all',
          audit: audit(id),
        }),
      ).toBeUndefined();
      expect((await context.store.listAudit({ customerId: id, limit: 10 })).entries).toEqual([]);
    });

    it('tells other instances of a customer change, and the writer hears its own notice back (skipped where the store has no change feed: SQLite is one process)', async (test) => {
      const feed = context.store.customerChanges;
      if (feed === undefined || context.handle.openAnother === undefined) return test.skip();
      const other = await context.handle.openAnother();
      const heard: string[] = [];
      const unsubscribeOther = other.customerChanges?.subscribe((customerId) => heard.push(customerId));
      const unsubscribeOwn = feed.subscribe(() => {});
      try {
        const customerId = unique('cus');
        // The other instance's listener connects in the background: publish until it hears.
        let confirmed = false;
        for (let attempt = 0; attempt < 50 && !heard.includes(customerId); attempt++) {
          confirmed = await feed.publish(customerId);
          if (!heard.includes(customerId)) await new Promise((resolve) => setTimeout(resolve, 20));
        }
        expect(confirmed).toBe(true);
        expect(heard).toContain(customerId);
      } finally {
        unsubscribeOther?.();
        unsubscribeOwn();
        await other.close();
      }
    });
  });
}
