/**
 * The store a handler sees while its delivery is open, over a real SQLite store: writes are held (the
 * store is unchanged until the delivery commits), and reads made after a write see it as the
 * transaction would: a newer subscription state replaces the stored one and an older one does not,
 * a customer moved to another Stripe customer is no longer found under the old one.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Backend, openSqlite } from '../../../test/support/backends.js';
import type { SubscriptionRecord } from '../../core/billing/subscription-state.js';
import type { Store } from '../../core/ports.js';
import { deliveryWrites } from './delivery-writes.js';

const NOW = Date.UTC(2026, 4, 10, 12);

const subscription = (id: string, stripeUpdatedAt: number, status = 'active'): SubscriptionRecord => ({
  subscriptionId: id,
  stripeCustomerId: 'cus_held',
  status: status as SubscriptionRecord['status'],
  priceId: 'price_pro',
  currentPeriodStart: NOW,
  currentPeriodEnd: NOW + 1000,
  trialEnd: null,
  cancelAtPeriodEnd: false,
  created: id === 'sub_stored' ? NOW : NOW + 5,
  stripeUpdatedAt,
});

describe('deliveryWrites', () => {
  let backend: Backend;
  let store: Store;

  beforeEach(async () => {
    backend = await openSqlite();
    store = backend.store;
    await store.createCustomer({ id: 'tgcus_held', plan: 'free', createdAt: NOW });
    await store.updateCustomer('tgcus_held', { stripeCustomerId: 'cus_held', updatedAt: NOW });
    await store.upsertSubscription(subscription('sub_stored', NOW));
    await store.setObjectVersion('sub_stored', NOW);
  });

  afterEach(async () => {
    await backend.cleanup();
  });

  it('holds every write, in order, and leaves the store as it was', async () => {
    const delivery = deliveryWrites(store);
    await delivery.store.upsertSubscription(subscription('sub_new', NOW + 5));
    await delivery.store.setObjectVersion('sub_new', NOW + 5);
    const customer = await delivery.store.getCustomerByStripeId('cus_held');
    if (!customer) throw new Error('the stored customer is found through the delivery');
    delivery.updateCustomer(customer, { plan: 'pro', updatedAt: NOW + 5 });
    await delivery.store.appendAudit({
      at: NOW,
      actor: 'stripe',
      action: 'test',
      customerId: null,
      details: {},
    });
    expect(delivery.writes.map((write) => write.kind)).toEqual([
      'subscription',
      'version',
      'customer',
      'audit',
    ]);
    expect(await store.getSubscription('sub_new')).toBeUndefined();
    expect(await store.getObjectVersion('sub_new')).toBeUndefined();
    expect((await store.getCustomer('tgcus_held'))?.plan).toBe('free');
  });

  it('reads its own writes: newer states replace stored ones, older ones do not', async () => {
    const delivery = deliveryWrites(store);
    await delivery.store.upsertSubscription(subscription('sub_stored', NOW + 10, 'past_due'));
    await delivery.store.upsertSubscription(subscription('sub_new', NOW + 10));
    expect(
      (await delivery.store.listSubscriptions('cus_held')).map((s) => [s.subscriptionId, s.status]),
    ).toEqual([
      ['sub_stored', 'past_due'],
      ['sub_new', 'active'],
    ]);
    await delivery.store.setObjectVersion('sub_stored', NOW + 10);
    expect(await delivery.store.getObjectVersion('sub_stored')).toBe(NOW + 10);

    const late = deliveryWrites(store);
    await late.store.upsertSubscription(subscription('sub_stored', NOW - 10, 'canceled'));
    await late.store.setObjectVersion('sub_stored', NOW - 10);
    expect((await late.store.getSubscription('sub_stored'))?.status).toBe('active');
    expect(await late.store.getObjectVersion('sub_stored')).toBe(NOW);
  });

  it('finds a customer by its Stripe id as this delivery left it', async () => {
    const delivery = deliveryWrites(store);
    const customer = await delivery.store.getCustomerByStripeId('cus_held');
    if (!customer) throw new Error('the stored customer is found through the delivery');
    const updated = delivery.updateCustomer(customer, { plan: 'pro', updatedAt: NOW + 1 });
    expect(updated).toMatchObject({ id: 'tgcus_held', plan: 'pro', stripeCustomerId: 'cus_held' });
    expect(await delivery.store.getCustomerByStripeId('cus_held')).toEqual(updated);
    expect(await delivery.store.getCustomer('tgcus_held')).toEqual(updated);
    delivery.updateCustomer(updated, { stripeCustomerId: null, updatedAt: NOW + 2 });
    expect(await delivery.store.getCustomerByStripeId('cus_held')).toBeUndefined();
  });
});
