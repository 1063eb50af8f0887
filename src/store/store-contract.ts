/**
 * The behaviour every Store must have, as one suite that each implementation runs against a real
 * database (`describeStoreContract('sqlite', ...)`). Tests share one store per suite and keep apart by
 * using fresh ids, plans and search terms, so a suite costs one migration.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TollgateError } from '../core/errors.js';
import {
  type CounterState,
  counterKey,
  decideDebits,
  idempotencyScope,
  type KnownEvent,
} from '../core/ledger/decide-debits.js';
import type { ApiKeyRecord, Customer, Store, UsageDebit, UsageOutcome } from '../core/ports.js';
import { ConflictError } from './errors.js';

export interface StoreHandle {
  store: Store;
  cleanup(): Promise<void>;
  /**
   * Opens another, migrated store on the same database (another connection or pool), for races
   * between instances. Absent when the database cannot be shared (`:memory:`). The caller closes it.
   */
  openAnother?(): Promise<Store>;
}

const PERIOD = Date.UTC(2026, 0, 1);
const NEXT_PERIOD = Date.UTC(2026, 1, 1);
const T0 = Date.UTC(2026, 0, 15);

function unique(prefix: string): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

function debit(customerId: string, overrides: Partial<UsageDebit> = {}): UsageDebit {
  return {
    customerId,
    periodStart: PERIOD,
    operation: 'search',
    quantity: 1,
    cost: 1000,
    limit: null,
    included: null,
    idempotencyKey: null,
    requestHash: null,
    occurredAt: T0,
    ...overrides,
  };
}

function count(outcomes: UsageOutcome[], kind: UsageOutcome['kind']): number {
  return outcomes.filter((outcome) => outcome.kind === kind).length;
}

export function describeStoreContract(name: string, create: () => Promise<StoreHandle>): void {
  describe(`Store contract: ${name}`, () => {
    let handle: StoreHandle;
    let store: Store;

    beforeAll(async () => {
      handle = await create();
      store = handle.store;
    });
    afterAll(async () => {
      await handle?.cleanup();
    });

    async function newCustomer(
      overrides: Partial<Parameters<Store['createCustomer']>[0]> = {},
    ): Promise<Customer> {
      return store.createCustomer({ id: unique('cus'), plan: 'free', createdAt: T0, ...overrides });
    }

    describe('migrations and health', () => {
      it('migrates again without error (every start runs it)', async () => {
        await store.migrate();
        await store.ping();
      });
    });

    describe('customers', () => {
      it('creates a customer with defaults and reads it back by id, external id and Stripe id', async () => {
        const externalId = unique('user');
        const created = await newCustomer({
          externalId,
          email: 'Ada@Example.com',
          metadata: { team: 'core' },
        });
        expect(created).toMatchObject({
          externalId,
          email: 'Ada@Example.com',
          name: null,
          plan: 'free',
          status: 'active',
          billingInterval: null,
          stripeCustomerId: null,
          cancelAtPeriodEnd: false,
          storageBytes: 0,
          storageItems: 0,
          metadata: { team: 'core' },
          createdAt: T0,
          updatedAt: T0,
        });
        expect(await store.getCustomer(created.id)).toEqual(created);
        expect(await store.getCustomerByExternalId(externalId)).toEqual(created);

        const stripeCustomerId = unique('cus_stripe');
        await store.updateCustomer(created.id, { stripeCustomerId, updatedAt: T0 + 1 });
        expect((await store.getCustomerByStripeId(stripeCustomerId))?.id).toBe(created.id);
      });

      it('answers undefined for customers that do not exist', async () => {
        expect(await store.getCustomer(unique('cus'))).toBeUndefined();
        expect(await store.getCustomerByExternalId(unique('user'))).toBeUndefined();
        expect(await store.getCustomerByStripeId(unique('cus_stripe'))).toBeUndefined();
        expect(await store.updateCustomer(unique('cus'), { plan: 'pro', updatedAt: T0 })).toBeUndefined();
      });

      it('updates only the patched fields and returns the customer as stored', async () => {
        const customer = await newCustomer({ email: 'a@example.com', name: 'A' });
        const patch = {
          plan: 'pro',
          status: 'past_due' as const,
          billingInterval: 'year' as const,
          stripeSubscriptionId: unique('sub'),
          periodStart: PERIOD,
          periodEnd: NEXT_PERIOD,
          trialEnd: null,
          paymentFailedAt: T0 + 5,
          cancelAtPeriodEnd: true,
          storageBytes: 10 * 1024 ** 3,
          storageItems: 12,
          metadata: { source: 'checkout' },
          name: null,
          updatedAt: T0 + 10,
        };
        const updated = await store.updateCustomer(customer.id, patch);
        expect(updated).toEqual({ ...customer, ...patch });
        expect(await store.getCustomer(customer.id)).toEqual(updated);

        const again = await store.updateCustomer(customer.id, {
          cancelAtPeriodEnd: false,
          updatedAt: T0 + 20,
        });
        expect(again).toEqual({ ...updated, cancelAtPeriodEnd: false, updatedAt: T0 + 20 });
      });

      it('rejects a second customer with the same external id with a ConflictError naming the field', async () => {
        const externalId = unique('user');
        await newCustomer({ externalId });
        const attempt = newCustomer({ externalId });
        await expect(attempt).rejects.toBeInstanceOf(ConflictError);
        await expect(attempt).rejects.toMatchObject({ field: 'externalId', code: 'conflict', status: 409 });
        await expect(attempt).rejects.toBeInstanceOf(TollgateError);
      });

      it('rejects a duplicate id and a duplicate Stripe customer id', async () => {
        const first = await newCustomer();
        await expect(
          store.createCustomer({ id: first.id, plan: 'free', createdAt: T0 }),
        ).rejects.toMatchObject({
          name: 'ConflictError',
          field: 'id',
        });
        const stripeCustomerId = unique('cus_stripe');
        await store.updateCustomer(first.id, { stripeCustomerId, updatedAt: T0 });
        const second = await newCustomer();
        await expect(
          store.updateCustomer(second.id, { stripeCustomerId, updatedAt: T0 }),
        ).rejects.toMatchObject({
          name: 'ConflictError',
          field: 'stripeCustomerId',
        });
      });

      it('allows any number of customers without an external or Stripe id', async () => {
        await newCustomer({ externalId: null });
        await newCustomer({ externalId: null });
      });

      it('filters by plan and status', async () => {
        const plan = unique('plan');
        const active = await newCustomer({ plan });
        const suspended = await newCustomer({ plan, status: 'suspended' });
        await newCustomer({ plan: unique('plan') });

        const byPlan = await store.listCustomers({ plan, limit: 10 });
        expect(byPlan.customers.map((customer) => customer.id).sort()).toEqual(
          [active.id, suspended.id].sort(),
        );
        expect(byPlan.hasMore).toBe(false);
        const byStatus = await store.listCustomers({ plan, status: 'suspended', limit: 10 });
        expect(byStatus.customers).toEqual([suspended]);
      });

      it('searches id, external id, email and name case-insensitively', async () => {
        const term = unique('Term').toLowerCase();
        const byEmail = await newCustomer({ email: `${term.toUpperCase()}@example.com` });
        const byName = await newCustomer({ name: `Ms ${term.toUpperCase()}` });
        const byExternalId = await newCustomer({ externalId: `ext-${term}` });
        const byId = await newCustomer({ id: `cus_${term}_x` });
        await newCustomer({ name: 'someone else' });

        const found = await store.listCustomers({ search: term, limit: 10 });
        expect(found.customers.map((customer) => customer.id).sort()).toEqual(
          [byEmail.id, byName.id, byExternalId.id, byId.id].sort(),
        );
      });

      it('matches % and _ in a search literally', async () => {
        const term = unique('pct');
        const literal = await newCustomer({ name: `${term} 100%_off` });
        await newCustomer({ name: `${term} 100 xoff` });
        const found = await store.listCustomers({ search: '100%_off', limit: 10 });
        expect(found.customers.map((customer) => customer.id)).toEqual([literal.id]);
      });

      it('pages through customers by id, saying whether more follow', async () => {
        const plan = unique('plan');
        const ids: string[] = [];
        for (let index = 0; index < 5; index++) ids.push((await newCustomer({ plan })).id);
        ids.sort();

        const first = await store.listCustomers({ plan, limit: 2 });
        expect(first.customers.map((customer) => customer.id)).toEqual(ids.slice(0, 2));
        expect(first.hasMore).toBe(true);
        const second = await store.listCustomers({ plan, limit: 2, after: ids[1] });
        expect(second.customers.map((customer) => customer.id)).toEqual(ids.slice(2, 4));
        expect(second.hasMore).toBe(true);
        const last = await store.listCustomers({ plan, limit: 2, after: ids[3] });
        expect(last.customers.map((customer) => customer.id)).toEqual(ids.slice(4));
        expect(last.hasMore).toBe(false);
      });
    });

    describe('API keys', () => {
      function keyFor(customerId: string | null, overrides: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
        return {
          id: unique('key'),
          customerId,
          hash: randomBytes(32).toString('hex'),
          prefix: 'tg_live_3xK9',
          name: 'default',
          createdAt: T0,
          revokedAt: null,
          lastUsedAt: null,
          ...overrides,
        };
      }

      it('creates a key and finds it by hash', async () => {
        const customer = await newCustomer();
        const key = keyFor(customer.id);
        await store.createApiKey(key);
        expect(await store.findApiKeyByHash(key.hash)).toEqual(key);
        expect(await store.findApiKeyByHash(randomBytes(32).toString('hex'))).toBeUndefined();
      });

      it('stores admin keys, which belong to no customer', async () => {
        const key = keyFor(null, { name: null });
        await store.createApiKey(key);
        expect(await store.findApiKeyByHash(key.hash)).toEqual(key);
      });

      it("lists a customer's keys, oldest first", async () => {
        const customer = await newCustomer();
        const older = keyFor(customer.id, { createdAt: T0 });
        const newer = keyFor(customer.id, { createdAt: T0 + 1 });
        await store.createApiKey(newer);
        await store.createApiKey(older);
        await store.createApiKey(keyFor((await newCustomer()).id));
        expect(await store.listApiKeys(customer.id)).toEqual([older, newer]);
      });

      it('rejects a duplicate hash with a ConflictError', async () => {
        const customer = await newCustomer();
        const key = keyFor(customer.id);
        await store.createApiKey(key);
        await expect(store.createApiKey({ ...key, id: unique('key') })).rejects.toMatchObject({
          name: 'ConflictError',
          field: 'hash',
        });
      });

      it('revokes a key, keeping the first revocation time, and answers false for unknown keys', async () => {
        const customer = await newCustomer();
        const key = keyFor(customer.id);
        await store.createApiKey(key);
        expect(await store.revokeApiKey(key.id, T0 + 100)).toBe(true);
        expect(await store.revokeApiKey(key.id, T0 + 200)).toBe(true);
        expect((await store.findApiKeyByHash(key.hash))?.revokedAt).toBe(T0 + 100);
        expect(await store.revokeApiKey(unique('key'), T0)).toBe(false);
      });

      it('stores many last-used times in one call and never moves one back', async () => {
        const customer = await newCustomer();
        const keys = [
          keyFor(customer.id),
          keyFor(customer.id),
          keyFor(customer.id, { lastUsedAt: T0 + 500 }),
        ];
        for (const key of keys) await store.createApiKey(key);
        await store.touchApiKeys(new Map());
        await store.touchApiKeys(
          new Map([
            [keys[0]!.id, T0 + 10],
            [keys[1]!.id, T0 + 20],
            [keys[2]!.id, T0 + 30],
            [unique('key'), T0 + 40],
          ]),
        );
        const stored = new Map((await store.listApiKeys(customer.id)).map((key) => [key.id, key.lastUsedAt]));
        expect(keys.map((key) => stored.get(key.id))).toEqual([T0 + 10, T0 + 20, T0 + 500]);
      });
    });

    describe('commitUsage', () => {
      it('answers an empty batch with no outcomes', async () => {
        expect(await store.commitUsage([], T0)).toEqual([]);
      });

      it('admits debits until the limit, then denies, with exact totals', async () => {
        const { id } = await newCustomer();
        const batch = Array.from({ length: 8 }, () => debit(id, { limit: 5000 }));
        const outcomes = await store.commitUsage(batch, T0);
        expect(outcomes.map((outcome) => outcome.kind)).toEqual([
          ...Array<string>(5).fill('recorded'),
          ...Array<string>(3).fill('denied'),
        ]);
        expect(outcomes.map((outcome) => (outcome.kind === 'conflict' ? -1 : outcome.used))).toEqual([
          1000, 2000, 3000, 4000, 5000, 5000, 5000, 5000,
        ]);
        // A later batch sees the stored counter.
        expect(
          await store.commitUsage([debit(id, { limit: 5000, cost: 0 }), debit(id, { limit: 5000 })], T0),
        ).toEqual([
          expect.objectContaining({ kind: 'recorded', used: 5000 }),
          { kind: 'denied', used: 5000 },
        ]);
        expect(await store.getPeriodUsage(id, PERIOD)).toEqual({
          customerId: id,
          periodStart: PERIOD,
          used: 5000,
          overage: 0,
        });
        expect(await store.sumUsageEvents(id, PERIOD)).toEqual({ cost: 5000, events: 6 });
      });

      it('admits everything when the limit is unlimited', async () => {
        const { id } = await newCustomer();
        const outcomes = await store.commitUsage(
          Array.from({ length: 50 }, () => debit(id, { cost: 1_000_000 })),
          T0,
        );
        expect(count(outcomes, 'recorded')).toBe(50);
        expect((await store.getPeriodUsage(id, PERIOD)).used).toBe(50_000_000);
      });

      it('splits the part above the included quota off as overage', async () => {
        const { id } = await newCustomer();
        const batch = Array.from({ length: 4 }, () => debit(id, { cost: 1500, included: 2000, limit: 5000 }));
        const outcomes = await store.commitUsage(batch, T0);
        expect(outcomes).toEqual([
          expect.objectContaining({ kind: 'recorded', used: 1500, overage: 0 }),
          expect.objectContaining({ kind: 'recorded', used: 3000, overage: 1000 }),
          expect.objectContaining({ kind: 'recorded', used: 4500, overage: 1500 }),
          { kind: 'denied', used: 4500 },
        ]);
        expect(await store.getPeriodUsage(id, PERIOD)).toMatchObject({ used: 4500, overage: 2500 });
        const events = await store.listUsageEvents(id, 0, Number.MAX_SAFE_INTEGER, 10);
        expect(events.map((event) => [event.cost, event.overage, event.usedAfter])).toEqual([
          [1500, 0, 1500],
          [1500, 1000, 3000],
          [1500, 1500, 4500],
        ]);
      });

      it('replays a known idempotency key with the first answer and counts it once', async () => {
        const { id } = await newCustomer();
        const first = await store.commitUsage(
          [debit(id, { idempotencyKey: 'req-1', requestHash: 'h1' })],
          T0,
        );
        expect(first[0]).toMatchObject({ kind: 'recorded', used: 1000, replayed: false });
        await store.commitUsage([debit(id)], T0);
        const again = await store.commitUsage(
          [debit(id, { idempotencyKey: 'req-1', requestHash: 'h1' })],
          T0 + 1,
        );
        expect(again).toEqual([{ ...first[0], replayed: true }]);
        expect(await store.sumUsageEvents(id, PERIOD)).toEqual({ cost: 2000, events: 2 });
        expect((await store.getPeriodUsage(id, PERIOD)).used).toBe(2000);
      });

      it('answers a conflict for a known key with a different payload', async () => {
        const { id } = await newCustomer();
        const [first] = await store.commitUsage(
          [debit(id, { idempotencyKey: 'req-1', requestHash: 'h1' })],
          T0,
        );
        const [other] = await store.commitUsage(
          [debit(id, { idempotencyKey: 'req-1', requestHash: 'h2' })],
          T0,
        );
        expect(first?.kind).toBe('recorded');
        expect(other).toEqual({ kind: 'conflict', eventId: first?.kind === 'recorded' ? first.eventId : '' });
        expect(await store.sumUsageEvents(id, PERIOD)).toEqual({ cost: 1000, events: 1 });
      });

      it('decides duplicate keys within one batch like separate requests', async () => {
        const { id } = await newCustomer();
        const outcomes = await store.commitUsage(
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
        expect(await store.sumUsageEvents(id, PERIOD)).toEqual({ cost: 1000, events: 1 });
      });

      it('scopes idempotency keys to their customer', async () => {
        const [a, b] = [await newCustomer(), await newCustomer()];
        const outcomes = await store.commitUsage(
          [debit(a.id, { idempotencyKey: 'same' }), debit(b.id, { idempotencyKey: 'same' })],
          T0,
        );
        expect(outcomes.map((outcome) => outcome.kind === 'recorded' && !outcome.replayed)).toEqual([
          true,
          true,
        ]);
      });

      it('keeps each period in its own counter', async () => {
        const { id } = await newCustomer();
        const outcomes = await store.commitUsage(
          [
            debit(id, { limit: 1000 }),
            debit(id, { limit: 1000, periodStart: NEXT_PERIOD }),
            debit(id, { limit: 1000 }),
          ],
          T0,
        );
        expect(outcomes.map((outcome) => outcome.kind)).toEqual(['recorded', 'recorded', 'denied']);
        expect((await store.getPeriodUsage(id, PERIOD)).used).toBe(1000);
        expect((await store.getPeriodUsage(id, NEXT_PERIOD)).used).toBe(1000);
        expect(await store.getPeriodUsage(id, NEXT_PERIOD + 1)).toEqual({
          customerId: id,
          periodStart: NEXT_PERIOD + 1,
          used: 0,
          overage: 0,
        });
      });

      it('lists events recorded in [from, to), oldest first, at most limit', async () => {
        const { id } = await newCustomer();
        for (const recordedAt of [T0 + 30, T0 + 10, T0 + 20, T0 + 40]) {
          await store.commitUsage(
            [debit(id, { cost: recordedAt - T0, operation: `op${recordedAt - T0}` })],
            recordedAt,
          );
        }
        const events = await store.listUsageEvents(id, T0 + 10, T0 + 40, 2);
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
        });
      });

      it('writes nothing of a batch whose event insert fails, and keeps working after', async () => {
        const { id } = await newCustomer();
        // NaN cannot be stored as an integer, so the failure comes after the counters were decided.
        const failing = [debit(id), debit(id, { periodStart: NEXT_PERIOD }), debit(id, { cost: Number.NaN })];
        await expect(store.commitUsage(failing, T0)).rejects.toThrow();
        expect(await store.getPeriodUsage(id, PERIOD)).toMatchObject({ used: 0, overage: 0 });
        expect(await store.getPeriodUsage(id, NEXT_PERIOD)).toMatchObject({ used: 0, overage: 0 });
        expect(await store.sumUsageEvents(id, PERIOD)).toEqual({ cost: 0, events: 0 });

        const [outcome] = await store.commitUsage([debit(id)], T0);
        expect(outcome).toMatchObject({ kind: 'recorded', used: 1000 });
      });

      it('rejects a batch with a debit for an unknown customer as a whole', async () => {
        const { id } = await newCustomer();
        await expect(store.commitUsage([debit(id), debit(unique('cus_missing'))], T0)).rejects.toThrow();
        expect(await store.sumUsageEvents(id, PERIOD)).toEqual({ cost: 0, events: 0 });
        expect((await store.getPeriodUsage(id, PERIOD)).used).toBe(0);
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
            const customers = [await newCustomer(), await newCustomer(), await newCustomer()].map(
              (c) => c.id,
            );
            const periods = [PERIOD, NEXT_PERIOD];
            const limitOf = (customer: number, period: number) => limits[customer * 2 + period] ?? null;

            // The model: the core rule over in-memory state, with its own event ids mapped to the store's.
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
              const outcomes = await store.commitUsage(batch, T0);
              const expected = decideDebits(
                batch,
                modelCounters,
                modelKnown,
                T0,
                () => `model-${modelIds++}`,
              );

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
                const usage = await store.getPeriodUsage(customerId, periodStart);
                const sum = await store.sumUsageEvents(customerId, periodStart);
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

    describe('commitUsage under concurrency', () => {
      async function openStores(count: number): Promise<Store[]> {
        const others: Store[] = [];
        for (let index = 0; index < count && handle.openAnother; index++)
          others.push(await handle.openAnother());
        return others;
      }

      it('admits exactly the limit when 1,000 batches race for one customer', async () => {
        const { id } = await newCustomer();
        const others = await openStores(3);
        try {
          const stores = [store, ...others];
          const outcomes = await Promise.all(
            Array.from({ length: 1000 }, (_, index) =>
              stores[index % stores.length]!.commitUsage([debit(id, { cost: 1000, limit: 100_000 })], T0),
            ),
          );
          const flat = outcomes.flat();
          expect(count(flat, 'recorded')).toBe(100);
          expect(count(flat, 'denied')).toBe(900);
          expect((await store.getPeriodUsage(id, PERIOD)).used).toBe(100_000);
          expect(await store.sumUsageEvents(id, PERIOD)).toEqual({ cost: 100_000, events: 100 });
        } finally {
          await Promise.all(others.map((other) => other.close()));
        }
      });

      it('counts a key sent by 200 racing batches once', async () => {
        const { id } = await newCustomer();
        const others = await openStores(3);
        try {
          const stores = [store, ...others];
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
          expect(await store.sumUsageEvents(id, PERIOD)).toEqual({ cost: 1000, events: 1 });
        } finally {
          await Promise.all(others.map((other) => other.close()));
        }
      });

      it('counts a key once when racing batches carry it under different periods', async () => {
        // Different periods lock different counter rows, so only the unique key stops the second event.
        const { id } = await newCustomer();
        const others = await openStores(3);
        try {
          const stores = [store, ...others];
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
            (await store.getPeriodUsage(id, PERIOD)).used +
            (await store.getPeriodUsage(id, NEXT_PERIOD)).used;
          const sums = [await store.sumUsageEvents(id, PERIOD), await store.sumUsageEvents(id, NEXT_PERIOD)];
          expect(used).toBe(1000);
          expect(sums[0]!.cost + sums[1]!.cost).toBe(1000);
          expect(sums[0]!.events + sums[1]!.events).toBe(101);
        } finally {
          await Promise.all(others.map((other) => other.close()));
        }
      });
    });
  });
}
