/** Negotiated prices: one active per customer, plan and interval; history kept; audited in the same commit. */
import { describe, expect, it } from 'vitest';
import type { NewCustomerPrice } from '../../core/billing/custom-prices.js';
import { newId } from '../../core/ids.js';
import { type ContractContext, T0, unique } from './contract-context.js';

export function describeCustomerPriceCases(context: ContractContext): void {
  const price = (customerId: string, overrides: Partial<NewCustomerPrice> = {}): NewCustomerPrice => ({
    id: newId('cpr', T0),
    customerId,
    planId: 'enterprise',
    interval: 'month',
    amount: 200_000,
    currency: 'usd',
    stripePriceId: unique('price'),
    reason: 'contract 2026',
    createdBy: 'admin:key_1',
    createdAt: T0,
    ...overrides,
  });
  const audit = (customerId: string, action: string) => ({
    at: T0,
    actor: 'admin:key_1',
    action,
    customerId,
    details: { marker: unique('m') },
  });
  const auditOf = async (customerId: string) =>
    (await context.store.listAudit({ customerId, limit: 10 })).entries.map((entry) => entry.action);

  describe('customer prices', () => {
    it('stores a price with its audit entry, then replaces it keeping the old one as history', async () => {
      const customer = await context.newCustomer();
      const first = price(customer.id);
      await context.store.saveCustomerPrice(first, null, audit(customer.id, 'customer.price_set'));
      expect(await context.store.listCustomerPrices({ customerId: customer.id })).toEqual([
        { ...first, removedAt: null, removedBy: null },
      ]);
      const second = price(customer.id, { amount: 180_000, createdAt: T0 + 1000, createdBy: 'cli' });
      await context.store.saveCustomerPrice(second, first.id, audit(customer.id, 'customer.price_set'));
      expect(await context.store.listCustomerPrices({ customerId: customer.id })).toEqual([
        { ...second, removedAt: null, removedBy: null },
      ]);
      expect(
        await context.store.listCustomerPrices({ customerId: customer.id, includeRemoved: true }),
      ).toEqual([
        { ...first, removedAt: T0 + 1000, removedBy: 'cli' },
        { ...second, removedAt: null, removedBy: null },
      ]);
      expect(await auditOf(customer.id)).toEqual(['customer.price_set', 'customer.price_set']);
      // Every customer's, for the price index.
      const all = await context.store.listCustomerPrices({ includeRemoved: true });
      expect(all.map((row) => row.id)).toEqual(expect.arrayContaining([first.id, second.id]));
    });

    it('writes nothing, audit included, when the price it replaces changed meanwhile', async () => {
      const customer = await context.newCustomer();
      const first = price(customer.id);
      await context.store.saveCustomerPrice(first, null, audit(customer.id, 'customer.price_set'));
      // A second "first" price (the caller read no active price) and a stale replacement both conflict.
      await expect(
        context.store.saveCustomerPrice(price(customer.id), null, audit(customer.id, 'customer.price_set')),
      ).rejects.toMatchObject({ code: 'conflict' });
      await expect(
        context.store.saveCustomerPrice(
          price(customer.id),
          'cpr_gone',
          audit(customer.id, 'customer.price_set'),
        ),
      ).rejects.toMatchObject({ code: 'conflict' });
      expect(
        await context.store.listCustomerPrices({ customerId: customer.id, includeRemoved: true }),
      ).toHaveLength(1);
      expect(await auditOf(customer.id)).toEqual(['customer.price_set']);
      // Other plans and intervals are separate prices.
      await context.store.saveCustomerPrice(
        price(customer.id, { interval: 'year', amount: 2_000_000 }),
        null,
        audit(customer.id, 'customer.price_set'),
      );
      expect(await context.store.listCustomerPrices({ customerId: customer.id })).toHaveLength(2);
    });

    it('of concurrent first prices for one plan and interval, exactly one is stored', async () => {
      const customer = await context.newCustomer();
      const results = await Promise.allSettled(
        Array.from({ length: 4 }, (_, index) =>
          context.store.saveCustomerPrice(
            price(customer.id, { amount: 100_000 + index }),
            null,
            audit(customer.id, 'customer.price_set'),
          ),
        ),
      );
      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
      expect(
        await context.store.listCustomerPrices({ customerId: customer.id, includeRemoved: true }),
      ).toHaveLength(1);
      expect(await auditOf(customer.id)).toEqual(['customer.price_set']);
    });

    it('removes the active price once, audited; a second removal writes nothing', async () => {
      const customer = await context.newCustomer();
      const first = price(customer.id);
      await context.store.saveCustomerPrice(first, null, audit(customer.id, 'customer.price_set'));
      expect(
        await context.store.removeCustomerPrice(
          first.id,
          T0 + 5,
          'admin:key_2',
          audit(customer.id, 'customer.price_removed'),
        ),
      ).toBe(true);
      expect(
        await context.store.removeCustomerPrice(
          first.id,
          T0 + 6,
          'admin:key_2',
          audit(customer.id, 'customer.price_removed'),
        ),
      ).toBe(false);
      expect(await context.store.listCustomerPrices({ customerId: customer.id })).toEqual([]);
      expect(
        await context.store.listCustomerPrices({ customerId: customer.id, includeRemoved: true }),
      ).toEqual([{ ...first, removedAt: T0 + 5, removedBy: 'admin:key_2' }]);
      expect(await auditOf(customer.id)).toEqual(['customer.price_removed', 'customer.price_set']);
    });
  });
}
