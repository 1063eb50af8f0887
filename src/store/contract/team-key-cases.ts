/**
 * Team keys (migration 012): a key's owner and limits as stored and changed, the key each event came
 * through, usage by key, and a key's credit limit admitted exactly inside its customer's, also when
 * batches race over several store instances.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ApiKeyRecord, Store } from '../../core/ports.js';
import {
  type ContractContext,
  count,
  debit,
  PERIOD,
  T0,
  unique,
  withStoreInstances,
} from './contract-context.js';

export function describeTeamKeyCases(context: ContractContext): void {
  describe('team keys', () => {
    async function newKey(customerId: string, overrides: Partial<ApiKeyRecord> = {}): Promise<ApiKeyRecord> {
      const key: ApiKeyRecord = {
        id: unique('key'),
        customerId,
        hash: randomBytes(32).toString('hex'),
        prefix: 'tg_live_team',
        name: 'ci',
        owner: 'ana@example.com',
        limits: { credits: 30_000, requestsPerMinute: 5, requestsPerDay: null },
        createdAt: T0,
        revokedAt: null,
        lastUsedAt: null,
        ...overrides,
      };
      await context.store.createApiKey(key);
      return key;
    }

    it('stores a key with its owner and limits, and changes them', async () => {
      const customer = await context.newCustomer();
      const key = await newKey(customer.id);
      expect(await context.store.getApiKey(key.id)).toEqual(key);
      expect(await context.store.findApiKeyByHash(key.hash)).toEqual(key);

      const renamed = await context.store.updateApiKey(key.id, { owner: 'bo@example.com' });
      expect(renamed).toEqual({ ...key, owner: 'bo@example.com' });
      const unlimited = await context.store.updateApiKey(key.id, { limits: null, name: null });
      expect(unlimited).toEqual({ ...key, owner: 'bo@example.com', name: null, limits: null });
      expect((await context.store.listApiKeys(customer.id))[0]).toEqual(unlimited);
      expect(await context.store.updateApiKey('key_missing', { owner: 'x' })).toBeUndefined();
      expect(await context.store.getApiKey('key_missing')).toBeUndefined();
    });

    it('keeps the key of each event and sums usage by key', async () => {
      const customer = await context.newCustomer();
      const [first, second] = [await newKey(customer.id), await newKey(customer.id, { limits: null })];
      await context.store.commitUsage(
        [
          debit(customer.id, { keyId: first.id, keyLimit: 30_000 }),
          debit(customer.id, { keyId: second.id, cost: 2500 }),
          debit(customer.id, { keyId: second.id, cost: 500 }),
          debit(customer.id, { cost: 100 }),
        ],
        T0,
      );
      const usage = await context.store.sumUsageByKey(customer.id, PERIOD);
      expect(usage).toHaveLength(3);
      expect(usage).toEqual(
        expect.arrayContaining([
          { keyId: first.id, cost: 1000, events: 1 },
          { keyId: second.id, cost: 3000, events: 2 },
          { keyId: null, cost: 100, events: 1 },
        ]),
      );
      const total = usage.reduce((sum, row) => sum + row.cost, 0);
      expect(await context.store.sumUsageEvents(customer.id, PERIOD)).toEqual({ cost: total, events: 4 });
      const page = await context.store.pageUsageEvents(customer.id, { limit: 10 });
      expect(page.events.map((event) => event.keyId ?? null).sort()).toEqual(
        [first.id, second.id, second.id, null].sort(),
      );
    });

    it("refuses a debit past the key's limit and changes no counter", async () => {
      const customer = await context.newCustomer();
      const key = await newKey(customer.id);
      const keyed = { keyId: key.id, keyLimit: 2000, limit: 100_000 };
      const outcomes = await context.store.commitUsage(
        [debit(customer.id, keyed), debit(customer.id, keyed), debit(customer.id, keyed)],
        T0,
      );
      expect(outcomes.map((outcome) => outcome.kind)).toEqual(['recorded', 'recorded', 'denied']);
      expect(outcomes[2]).toEqual({
        kind: 'denied',
        used: 2000,
        key: { id: key.id, limit: 2000, used: 2000 },
      });
      expect((await context.store.getPeriodUsage(customer.id, PERIOD)).used).toBe(2000);
      // Another key of the customer still spends; the customer's own limit binds the total.
      const other = await context.store.commitUsage([debit(customer.id, { limit: 2500, cost: 1000 })], T0);
      expect(other[0]?.kind).toBe('denied');
    });

    it("counts a key's earlier events of the period when its limit comes later", async () => {
      const customer = await context.newCustomer();
      const key = await newKey(customer.id, { limits: null });
      await context.store.commitUsage([debit(customer.id, { keyId: key.id, cost: 1500 })], T0);
      const outcomes = await context.store.commitUsage(
        [debit(customer.id, { keyId: key.id, keyLimit: 2000 })],
        T0 + 1,
      );
      expect(outcomes[0]).toMatchObject({ kind: 'denied', key: { used: 1500, limit: 2000 } });
    });

    it('counts usage recorded while a key had no credit limit once the limit comes back', async () => {
      const customer = await context.newCustomer();
      const key = await newKey(customer.id);
      const limited = { keyId: key.id, keyLimit: 3000 };
      await context.store.commitUsage([debit(customer.id, limited)], T0);
      await context.store.updateApiKey(key.id, { limits: null });
      await context.store.commitUsage([debit(customer.id, { keyId: key.id, cost: 1500 })], T0 + 1);
      await context.store.updateApiKey(key.id, {
        limits: { credits: 3000, requestsPerMinute: null, requestsPerDay: null },
      });
      const outcomes = await context.store.commitUsage([debit(customer.id, limited)], T0 + 2);
      expect(outcomes[0]).toMatchObject({ kind: 'denied', key: { used: 2500, limit: 3000 } });
    });

    it("admits exactly a key's share while another key spends the rest, over racing instances", async () => {
      const customer = await context.newCustomer();
      const limited = await newKey(customer.id);
      const free = await newKey(customer.id, { limits: null });
      const outcomes = await withStoreInstances(context, (stores: Store[]) =>
        Promise.all(
          Array.from({ length: 300 }, (_, index) => {
            const store = stores[index % stores.length] as Store;
            const byLimited = index % 2 === 0;
            return store.commitUsage(
              [
                debit(customer.id, {
                  limit: 100_000,
                  keyId: byLimited ? limited.id : free.id,
                  ...(byLimited && { keyLimit: 30_000 }),
                }),
              ],
              T0,
            );
          }),
        ),
      );
      const flat = outcomes.flat();
      expect(count(flat, 'recorded')).toBe(100);
      const usage = await context.store.sumUsageByKey(customer.id, PERIOD);
      expect(usage.find((row) => row.keyId === limited.id)?.cost).toBe(30_000);
      expect(usage.find((row) => row.keyId === free.id)?.cost).toBe(70_000);
      expect((await context.store.getPeriodUsage(customer.id, PERIOD)).used).toBe(100_000);
    });
  });
}
