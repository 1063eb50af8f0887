/** Customers: create, read by each unique id, patch, unique-value conflicts, filters, search, paging. */
import { describe, expect, it } from 'vitest';
import { TollgateError } from '../../core/errors.js';
import type { AccountStatus, Customer, CustomerFilter } from '../../core/ports.js';
import { ConflictError } from '../errors.js';
import { type ContractContext, NEXT_PERIOD, PERIOD, T0, unique } from './contract-context.js';

export function describeCustomerCases(context: ContractContext): void {
  describe('customers', () => {
    it('creates a customer with defaults and reads it back by id, external id and Stripe id', async () => {
      const externalId = unique('user');
      const created = await context.newCustomer({
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
      expect(await context.store.getCustomer(created.id)).toEqual(created);
      expect(await context.store.getCustomerByExternalId(externalId)).toEqual(created);

      const stripeCustomerId = unique('cus_stripe');
      await context.store.updateCustomer(created.id, { stripeCustomerId, updatedAt: T0 + 1 });
      expect((await context.store.getCustomerByStripeId(stripeCustomerId))?.id).toBe(created.id);
    });

    it('answers undefined for customers that do not exist', async () => {
      expect(await context.store.getCustomer(unique('cus'))).toBeUndefined();
      expect(await context.store.getCustomerByExternalId(unique('user'))).toBeUndefined();
      expect(await context.store.getCustomerByStripeId(unique('cus_stripe'))).toBeUndefined();
      expect(
        await context.store.updateCustomer(unique('cus'), { plan: 'pro', updatedAt: T0 }),
      ).toBeUndefined();
    });

    it('updates only the patched fields and returns the customer as stored', async () => {
      const customer = await context.newCustomer({ email: 'a@example.com', name: 'A' });
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
      const updated = await context.store.updateCustomer(customer.id, patch);
      expect(updated).toEqual({ ...customer, ...patch });
      expect(await context.store.getCustomer(customer.id)).toEqual(updated);

      const again = await context.store.updateCustomer(customer.id, {
        cancelAtPeriodEnd: false,
        updatedAt: T0 + 20,
      });
      expect(again).toEqual({ ...updated, cancelAtPeriodEnd: false, updatedAt: T0 + 20 });
    });

    it('rejects a second customer with the same external id with a ConflictError naming the field', async () => {
      const externalId = unique('user');
      await context.newCustomer({ externalId });
      const attempt = context.newCustomer({ externalId });
      await expect(attempt).rejects.toBeInstanceOf(ConflictError);
      await expect(attempt).rejects.toMatchObject({ field: 'externalId', code: 'conflict', status: 409 });
      await expect(attempt).rejects.toBeInstanceOf(TollgateError);
    });

    it('rejects a duplicate id and a duplicate Stripe customer id', async () => {
      const first = await context.newCustomer();
      await expect(
        context.store.createCustomer({ id: first.id, plan: 'free', createdAt: T0 }),
      ).rejects.toMatchObject({
        name: 'ConflictError',
        field: 'id',
      });
      const stripeCustomerId = unique('cus_stripe');
      await context.store.updateCustomer(first.id, { stripeCustomerId, updatedAt: T0 });
      const second = await context.newCustomer();
      await expect(
        context.store.updateCustomer(second.id, { stripeCustomerId, updatedAt: T0 }),
      ).rejects.toMatchObject({
        name: 'ConflictError',
        field: 'stripeCustomerId',
      });
    });

    it('allows any number of customers without an external or Stripe id', async () => {
      await context.newCustomer({ externalId: null });
      await context.newCustomer({ externalId: null });
    });

    it('filters by plan and status', async () => {
      const plan = unique('plan');
      const active = await context.newCustomer({ plan });
      const suspended = await context.newCustomer({ plan, status: 'suspended' });
      await context.newCustomer({ plan: unique('plan') });

      const byPlan = await context.store.listCustomers({ plan, limit: 10 });
      expect(byPlan.customers.map((customer) => customer.id).sort()).toEqual(
        [active.id, suspended.id].sort(),
      );
      expect(byPlan.hasMore).toBe(false);
      const byStatus = await context.store.listCustomers({ plan, status: 'suspended', limit: 10 });
      expect(byStatus.customers).toEqual([suspended]);
    });

    it('filters by the status as it stands now: past_due past its grace counts as suspended', async () => {
      const plan = unique('plan');
      const cutoff = 1_700_000_000_000;
      const onRecord = await context.newCustomer({ plan, status: 'suspended' });
      const pastDue = async (paymentFailedAt: number | null) => {
        const customer = await context.newCustomer({ plan, status: 'past_due' });
        await context.store.updateCustomer(customer.id, { paymentFailedAt, updatedAt: Date.now() });
        return customer;
      };
      const graceOver = await pastDue(cutoff);
      const inGrace = await pastDue(cutoff + 1);
      const noFailureTime = await pastDue(null);
      await context.newCustomer({ plan });
      const ids = async (status: 'suspended' | 'past_due') =>
        (
          await context.store.listCustomers({ plan, status, suspendedIfFailedBy: cutoff, limit: 10 })
        ).customers
          .map((customer) => customer.id)
          .sort();
      expect(await ids('suspended')).toEqual([onRecord.id, graceOver.id].sort());
      expect(await ids('past_due')).toEqual([inGrace.id, noFailureTime.id].sort());
      // Without the cutoff, the status on record.
      const recorded = await context.store.listCustomers({ plan, status: 'past_due', limit: 10 });
      expect(recorded.customers).toHaveLength(3);
    });

    it('searches id, external id, email and name case-insensitively', async () => {
      const term = unique('Term').toLowerCase();
      const byEmail = await context.newCustomer({ email: `${term.toUpperCase()}@example.com` });
      const byName = await context.newCustomer({ name: `Ms ${term.toUpperCase()}` });
      const byExternalId = await context.newCustomer({ externalId: `ext-${term}` });
      const byId = await context.newCustomer({ id: `cus_${term}_x` });
      await context.newCustomer({ name: 'someone else' });

      const found = await context.store.listCustomers({ search: term, limit: 10 });
      expect(found.customers.map((customer) => customer.id).sort()).toEqual(
        [byEmail.id, byName.id, byExternalId.id, byId.id].sort(),
      );
    });

    it('matches % and _ in a search literally', async () => {
      const term = unique('pct');
      const literal = await context.newCustomer({ name: `${term} 100%_off` });
      await context.newCustomer({ name: `${term} 100 xoff` });
      const found = await context.store.listCustomers({ search: '100%_off', limit: 10 });
      expect(found.customers.map((customer) => customer.id)).toEqual([literal.id]);
    });

    it('pages through customers by id, saying whether more follow', async () => {
      const plan = unique('plan');
      const ids: string[] = [];
      for (let index = 0; index < 5; index++) ids.push((await context.newCustomer({ plan })).id);
      ids.sort();

      const first = await context.store.listCustomers({ plan, limit: 2 });
      expect(first.customers.map((customer) => customer.id)).toEqual(ids.slice(0, 2));
      expect(first.hasMore).toBe(true);
      const second = await context.store.listCustomers({ plan, limit: 2, after: ids[1] });
      expect(second.customers.map((customer) => customer.id)).toEqual(ids.slice(2, 4));
      expect(second.hasMore).toBe(true);
      const last = await context.store.listCustomers({ plan, limit: 2, after: ids[3] });
      expect(last.customers.map((customer) => customer.id)).toEqual(ids.slice(4));
      expect(last.hasMore).toBe(false);
    });

    it('pages newest first (ids descending) when asked', async () => {
      const plan = unique('plan');
      const ids: string[] = [];
      for (let index = 0; index < 3; index++) ids.push((await context.newCustomer({ plan })).id);
      ids.sort().reverse();

      const first = await context.store.listCustomers({ plan, limit: 2, order: 'desc' });
      expect(first.customers.map((customer) => customer.id)).toEqual(ids.slice(0, 2));
      expect(first.hasMore).toBe(true);
      const rest = await context.store.listCustomers({ plan, limit: 2, order: 'desc', after: ids[1] });
      expect(rest.customers.map((customer) => customer.id)).toEqual(ids.slice(2));
      expect(rest.hasMore).toBe(false);
    });

    describe('sorted by a key, paged by (key, id)', () => {
      type SortBy = NonNullable<CustomerFilter['sortBy']>;
      const cutoff = 1_700_000_000_000;
      // Ties on every key (names and emails equal but for case, no value twice), so the id decides.
      const specs: Array<{
        name: string | null;
        email: string | null;
        plan: string;
        status: AccountStatus;
        paymentFailedAt?: number;
      }> = [
        { name: 'bob', email: 'b@example.test', plan: 'pro', status: 'active' },
        { name: 'Alice', email: null, plan: 'free', status: 'suspended' },
        { name: 'alice', email: 'A@example.test', plan: 'free', status: 'past_due', paymentFailedAt: cutoff },
        {
          name: null,
          email: 'a@example.test',
          plan: 'starter',
          status: 'past_due',
          paymentFailedAt: cutoff + 1,
        },
        { name: null, email: null, plan: 'pro', status: 'active' },
        { name: 'Carol', email: 'c@example.test', plan: 'free', status: 'canceled' },
        { name: 'BOB', email: 'B@example.test', plan: 'starter', status: 'trialing' },
      ];

      /** Seven customers found by a search term of their own (their external ids). */
      async function sortSet() {
        const term = unique('sorted');
        const customers: Customer[] = [];
        for (const [index, spec] of specs.entries()) {
          const { paymentFailedAt, ...fields } = spec;
          const customer = await context.newCustomer({ ...fields, externalId: `${term}-${index}` });
          customers.push(
            paymentFailedAt === undefined
              ? customer
              : ((await context.store.updateCustomer(customer.id, { paymentFailedAt, updatedAt: T0 })) ??
                  customer),
          );
        }
        return { term, customers };
      }

      const nowStatus = (customer: Customer, by: number | undefined) =>
        customer.status === 'past_due' &&
        by !== undefined &&
        customer.paymentFailedAt !== null &&
        customer.paymentFailedAt <= by
          ? 'suspended'
          : customer.status;
      const keyOf = (customer: Customer, sortBy: SortBy, by: number | undefined): string => {
        if (sortBy === 'created') return '';
        if (sortBy === 'name') return (customer.name ?? customer.email ?? customer.id).toLowerCase();
        if (sortBy === 'email') return (customer.email ?? '').toLowerCase();
        if (sortBy === 'plan') return customer.plan;
        return nowStatus(customer, by);
      };
      /** The order the store should give: by key, then id, both in `order`. */
      function expected(customers: Customer[], sortBy: SortBy, order: 'asc' | 'desc', by?: number) {
        const compare = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
        const sorted = [...customers].sort(
          (a, b) => compare(keyOf(a, sortBy, by), keyOf(b, sortBy, by)) || compare(a.id, b.id),
        );
        return (order === 'asc' ? sorted : sorted.reverse()).map((customer) => customer.id);
      }

      /** Every page of 2 from the first, each starting after the last id of the one before. */
      async function pageThrough(filter: Omit<CustomerFilter, 'limit' | 'after'>) {
        const seen: string[] = [];
        let after: string | undefined;
        for (let pages = 0; pages < 10; pages++) {
          const page = await context.store.listCustomers({
            ...filter,
            limit: 2,
            ...(after !== undefined ? { after } : {}),
          });
          seen.push(...page.customers.map((customer) => customer.id));
          if (!page.hasMore) return seen;
          after = page.customers.at(-1)?.id;
        }
        throw new Error('more pages than customers');
      }

      for (const sortBy of ['created', 'name', 'email', 'plan', 'status'] as const) {
        it(`by ${sortBy}, ascending and descending, every customer once in order`, async () => {
          const { term, customers } = await sortSet();
          for (const order of ['asc', 'desc'] as const) {
            const seen = await pageThrough({ search: term, sortBy, order, suspendedIfFailedBy: cutoff });
            expect(seen, order).toEqual(expected(customers, sortBy, order, cutoff));
          }
        });
      }

      it('by status as it stands now: past_due out of grace among the suspended; without a cutoff as stored', async () => {
        const { term, customers } = await sortSet();
        const [, suspended, graceOver, inGrace] = customers as [Customer, Customer, Customer, Customer];
        const now = await pageThrough({ search: term, sortBy: 'status', suspendedIfFailedBy: cutoff });
        expect(now).toEqual(expected(customers, 'status', 'asc', cutoff));
        // Side by side with the one suspended on record, after the past_due still in grace.
        const [first = -1, second = -1] = [now.indexOf(suspended.id), now.indexOf(graceOver.id)].sort(
          (a, b) => a - b,
        );
        expect(second - first).toBe(1);
        expect(now.indexOf(inGrace.id)).toBeLessThan(first);

        const stored = await pageThrough({ search: term, sortBy: 'status', order: 'desc' });
        expect(stored).toEqual(expected(customers, 'status', 'desc'));
        expect(stored.indexOf(graceOver.id)).toBeGreaterThan(stored.indexOf(suspended.id));
      });

      it('combines with the plan and status filters', async () => {
        const { term, customers } = await sortSet();
        const free = customers.filter((customer) => customer.plan === 'free');
        expect(await pageThrough({ search: term, plan: 'free', sortBy: 'name', order: 'desc' })).toEqual(
          expected(free, 'name', 'desc'),
        );
        const suspended = customers.filter((customer) => nowStatus(customer, cutoff) === 'suspended');
        expect(suspended).toHaveLength(2);
        expect(
          await pageThrough({
            search: term,
            status: 'suspended',
            suspendedIfFailedBy: cutoff,
            sortBy: 'email',
          }),
        ).toEqual(expected(suspended, 'email', 'asc'));
      });
    });
  });
}
