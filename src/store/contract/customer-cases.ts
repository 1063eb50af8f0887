/** Customers: create, read by each unique id, patch, unique-value conflicts, filters, search, paging. */
import { describe, expect, it } from 'vitest';
import { TollgateError } from '../../core/errors.js';
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
  });
}
