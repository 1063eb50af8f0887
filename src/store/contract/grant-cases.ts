/**
 * Grants: made with the counter's value as baseline (read under the commits' lock, so exact while
 * debits race on several instances), idempotent per customer and key, listed with the period
 * counters their standing is computed from, and revoked once.
 */
import { describe, expect, it } from 'vitest';
import type { NewGrant, Store } from '../../core/ports.js';
import {
  type ContractContext,
  debit,
  NEXT_PERIOD,
  PERIOD,
  T0,
  unique,
  withStoreInstances,
} from './contract-context.js';

function newGrant(customerId: string, fields: Partial<NewGrant> = {}): NewGrant {
  return {
    id: unique('grant'),
    customerId,
    operation: null,
    amount: 50_000,
    expires: 'until_used',
    expiresAt: null,
    periodStart: PERIOD,
    createdAt: T0,
    createdBy: 'key_admin',
    reason: 'launch bonus',
    idempotencyKey: unique('key'),
    requestHash: 'credits:50000:until_used',
    ...fields,
  };
}

export function describeGrantCases(context: ContractContext): void {
  describe('grants', () => {
    it('takes the credit counter or the operation month counter of its period as baseline', async () => {
      const { id } = await context.newCustomer();
      await context.store.commitUsage(
        [
          debit(id),
          debit(id, {
            operation: 'tokens',
            quantity: 7,
            cost: 0,
            windows: [{ window: 'month', start: PERIOD, limit: 100, included: null }],
          }),
        ],
        T0,
      );
      const credits = await context.store.createGrant(newGrant(id));
      expect(credits).toMatchObject({
        created: true,
        grant: { baseline: 1000, revokedAt: null, revokedAmount: 0 },
      });
      const tokens = await context.store.createGrant(
        newGrant(id, { operation: 'tokens', amount: 500, createdAt: T0 + 1 }),
      );
      expect(tokens.grant).toMatchObject({ operation: 'tokens', amount: 500, baseline: 7 });
      const fresh = await context.store.createGrant(
        newGrant(id, { periodStart: NEXT_PERIOD, createdAt: NEXT_PERIOD }),
      );
      expect(fresh.grant.baseline).toBe(0);
      expect((await context.store.listGrants(id)).map((grant) => grant.id)).toEqual([
        credits.grant.id,
        tokens.grant.id,
        fresh.grant.id,
      ]);
      expect(await context.store.listGrants(unique('cus'))).toEqual([]);
    });

    it('answers a retry with the first grant and writes nothing', async () => {
      const { id } = await context.newCustomer();
      const first = await context.store.createGrant(newGrant(id, { idempotencyKey: 'bonus-1' }));
      const retry = await context.store.createGrant(
        newGrant(id, { idempotencyKey: 'bonus-1', amount: 1, requestHash: 'different' }),
      );
      expect(retry).toEqual({ grant: first.grant, created: false, requestHash: 'credits:50000:until_used' });
      // Keys are per customer.
      const other = await context.newCustomer();
      expect(
        (await context.store.createGrant(newGrant(other.id, { idempotencyKey: 'bonus-1' }))).created,
      ).toBe(true);
      expect(await context.store.listGrants(id)).toHaveLength(1);
    });

    it('makes one grant of a key made at once on every instance', async () => {
      const { id } = await context.newCustomer();
      const results = await withStoreInstances(context, (stores) =>
        Promise.all(
          Array.from({ length: 12 }, (_, index) =>
            (stores[index % stores.length] as Store).createGrant(newGrant(id, { idempotencyKey: 'same' })),
          ),
        ),
      );
      expect(results.filter((result) => result.created)).toHaveLength(1);
      expect(new Set(results.map((result) => result.grant.id)).size).toBe(1);
      expect(await context.store.listGrants(id)).toHaveLength(1);
    });

    it('reads a baseline the counter really had between two commits while debits race', async () => {
      const { id } = await context.newCustomer();
      const [outcomes, grants] = await withStoreInstances(context, (stores) =>
        Promise.all([
          Promise.all(
            Array.from({ length: 40 }, (_, index) =>
              (stores[index % stores.length] as Store).commitUsage([debit(id), debit(id)], T0),
            ),
          ),
          Promise.all(
            Array.from({ length: 6 }, (_, index) =>
              (stores[(index + 1) % stores.length] as Store).createGrant(newGrant(id)),
            ),
          ),
        ]),
      );
      const seen = new Set([
        0,
        ...outcomes.flat().map((outcome) => (outcome.kind === 'recorded' ? outcome.used : -1)),
      ]);
      for (const { grant } of grants) {
        // A batch commits its two debits together: a baseline between them would be an odd count.
        expect(seen.has(grant.baseline)).toBe(true);
        expect(grant.baseline % 2000).toBe(0);
      }
      expect((await context.store.getPeriodUsage(id, PERIOD)).used).toBe(80_000);
    });

    it('lists the credit and month counters of the periods since a date', async () => {
      const { id } = await context.newCustomer();
      const month = (start: number) => [{ window: 'month' as const, start, limit: null, included: null }];
      await context.store.commitUsage(
        [
          debit(id, { periodStart: PERIOD - 31 * 86_400_000 }),
          debit(id, { operation: 'tokens', quantity: 3, cost: 0, windows: month(PERIOD) }),
          debit(id, {
            periodStart: NEXT_PERIOD,
            operation: 'tokens',
            quantity: 4,
            windows: month(NEXT_PERIOD),
          }),
          debit(id, { operation: 'video', quantity: 9, cost: 0, windows: month(PERIOD) }),
        ],
        T0,
      );
      const counters = await context.store.getGrantCounters(id, PERIOD, ['tokens']);
      expect(counters).toEqual(
        expect.arrayContaining([
          { operation: null, periodStart: PERIOD, used: 0 },
          { operation: null, periodStart: NEXT_PERIOD, used: 1000 },
          { operation: 'tokens', periodStart: PERIOD, used: 3 },
          { operation: 'tokens', periodStart: NEXT_PERIOD, used: 4 },
        ]),
      );
      expect(counters).toHaveLength(4);
    });

    it('revokes what the rule finds unspent, under the counter it is read from, once', async () => {
      const { id } = await context.newCustomer();
      const { grant } = await context.store.createGrant(newGrant(id));
      await context.store.commitUsage([debit(id), debit(id, { cost: 500 })], T0);
      const seen: number[] = [];
      const revoke = (revokedAt: number) =>
        context.store.revokeGrant({
          customerId: id,
          grantId: grant.id,
          periodStart: PERIOD,
          revokedAt,
          revokedBy: 'key_admin',
          unspent: (stored, used) => {
            seen.push(used);
            return stored.amount - used;
          },
        });
      expect(await revoke(T0 + 1)).toMatchObject({ id: grant.id, revokedAt: T0 + 1, revokedAmount: 48_500 });
      expect(await revoke(T0 + 2)).toMatchObject({ revokedAt: T0 + 1, revokedAmount: 48_500 });
      expect(seen).toEqual([1500]);
      expect((await context.store.listGrants(id))[0]).toMatchObject({
        revokedAt: T0 + 1,
        revokedAmount: 48_500,
      });
      const other = await context.newCustomer();
      expect(
        await context.store.revokeGrant({
          customerId: other.id,
          grantId: grant.id,
          periodStart: PERIOD,
          revokedAt: T0,
          revokedBy: null,
          unspent: () => 0,
        }),
      ).toBeUndefined();
    });
  });
}
