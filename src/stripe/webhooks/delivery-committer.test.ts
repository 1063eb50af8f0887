/**
 * Group commit of webhook deliveries, on SQLite and PostgreSQL: deliveries arriving together share
 * one transaction and are answered once it committed, two deliveries of one event in a batch apply
 * it once, and a delivery that cannot be written fails alone with nothing of it written.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../../../test/support/backends.js';
import type { WebhookDelivery } from '../../core/billing/billing-records.js';
import { demoCatalog } from '../../core/catalog/demo-catalog.js';
import { ManualClock } from '../../core/clock.js';
import type { Store } from '../../core/ports.js';
import { createTollgate, type Tollgate } from '../../core/tollgate.js';
import { createMemoryCounters } from '../../counters/memory-counters.js';
import { signPayload } from '../../emulator/index.js';
import { createStripeClient } from '../stripe-client.js';
import { DeliveryCommitter } from './delivery-committer.js';
import type { WebhookHandler } from './webhook-context.js';
import { createWebhookInbox } from './webhook-inbox.js';

const SECRET = 'whsec_committer_test';
const NOW = Date.UTC(2026, 4, 10, 12);

/**
 * Writes an audit line and the object's version, once `arrived` deliveries are all in their handler:
 * they then reach their commit in the same turn of the event loop, as requests read together do.
 */
function versionHandler(arrived: number): WebhookHandler {
  let waiting = 0;
  let release: () => void = () => {};
  const together = new Promise<void>((resolve) => {
    release = resolve;
  });
  return {
    types: ['test.object.changed'],
    async handle(context) {
      waiting += 1;
      if (waiting === arrived) release();
      await together;
      const object = context.event.data.object as { id: string };
      await context.audit('test.committed', null, { objectId: object.id });
      await context.applied(object.id);
      return 'applied';
    },
  };
}

const delivery = (eventId: string, objectId: string): WebhookDelivery => ({
  event: { id: eventId, type: 'test.object.changed', created: NOW, receivedAt: NOW, payload: '{}' },
  writes: [{ kind: 'version', objectId, appliedAt: NOW }],
  outcome: { status: 'processed', at: NOW },
});

describe.each(backends)('webhook group commit on %s', (_name, open) => {
  let backend: Awaited<ReturnType<typeof open>>;
  let store: Store;
  let tollgate: Tollgate;
  /** Every call to the store's batch commit, by its number of deliveries, failed ones included. */
  let attempts: number[];
  let counted: Store;

  beforeAll(async () => {
    backend = await open();
    store = backend.store;
    tollgate = createTollgate({
      catalog: demoCatalog(),
      store,
      counters: createMemoryCounters(),
      clock: new ManualClock(NOW),
    });
    counted = Object.assign(Object.create(store) as Store, {
      applyWebhookDeliveries(deliveries: readonly WebhookDelivery[]) {
        attempts.push(deliveries.length);
        return store.applyWebhookDeliveries(deliveries);
      },
    });
  });

  afterAll(async () => {
    await tollgate.close();
    await backend.cleanup();
  });

  it('commits deliveries that arrive together in one transaction, each answered after it', async () => {
    const transactions: number[] = [];
    const inbox = createWebhookInbox({
      tollgate,
      // Never called: these events need nothing from Stripe.
      stripe: createStripeClient({ secretKey: 'sk_test_committer', apiBase: 'http://127.0.0.1:9' }),
      prices: () => ({}) as never,
      secrets: [SECRET],
      handlers: [versionHandler(8)],
      commit: { onCommit: (deliveries) => transactions.push(deliveries) },
    });
    const payloads = Array.from({ length: 8 }, (_, index) =>
      JSON.stringify({
        id: `evt_together_${index}`,
        object: 'event',
        type: 'test.object.changed',
        created: Math.floor(NOW / 1000),
        // One Stripe customer each, so none waits for another's commit.
        data: { object: { object: 'thing', id: `obj_together_${index}`, customer: `cus_${index}` } },
      }),
    );
    const answers = await Promise.all(
      payloads.map((payload) => inbox.receive(payload, signPayload(payload, SECRET))),
    );

    expect(answers.map((answer) => answer.status)).toEqual(Array(8).fill(200));
    expect(transactions.reduce((sum, count) => sum + count, 0)).toBe(8);
    expect(transactions.length).toBeLessThan(8);
    expect(transactions).toEqual([8]);
    for (let index = 0; index < 8; index += 1) {
      expect(await store.getWebhookEvent(`evt_together_${index}`)).toMatchObject({
        status: 'processed',
        attempts: 1,
      });
      expect(await store.getObjectVersion(`obj_together_${index}`)).toBe(NOW);
    }
  });

  it('applies an event once when two deliveries of it share a batch', async () => {
    attempts = [];
    const committer = new DeliveryCommitter(counted);
    const [first, second] = await Promise.all([
      committer.commit(delivery('evt_in_one_batch', 'obj_first_copy')),
      committer.commit(delivery('evt_in_one_batch', 'obj_second_copy')),
    ]);

    expect(attempts).toEqual([2]);
    expect(first).toEqual({ duplicate: false, customers: [] });
    expect(second).toEqual({ duplicate: true, customers: [] });
    expect(await store.getObjectVersion('obj_first_copy')).toBe(NOW);
    expect(await store.getObjectVersion('obj_second_copy')).toBeUndefined();
    expect(await store.getWebhookEvent('evt_in_one_batch')).toMatchObject({
      status: 'processed',
      attempts: 1,
    });
    expect(await store.getWebhookEventStatus('evt_in_one_batch')).toBe('processed');
    expect(await store.getWebhookEventStatus('evt_never_delivered')).toBeUndefined();
  });

  it('fails only the delivery that cannot be written, with nothing of it written', async () => {
    const taken = await tollgate.createCustomer({});
    const other = await tollgate.createCustomer({});
    await tollgate.updateCustomer(taken.id, { stripeCustomerId: 'cus_taken_in_batch' });
    const conflicting: WebhookDelivery = {
      ...delivery('evt_conflicts_in_batch', 'obj_conflicts_in_batch'),
      writes: [
        { kind: 'version', objectId: 'obj_conflicts_in_batch', appliedAt: NOW },
        // The Stripe customer is linked to another customer: a unique violation.
        { kind: 'customer', id: other.id, patch: { stripeCustomerId: 'cus_taken_in_batch', updatedAt: NOW } },
      ],
    };
    const batch = [
      delivery('evt_before_failure', 'obj_before_failure'),
      conflicting,
      delivery('evt_after_failure', 'obj_after_failure'),
      delivery('evt_last', 'obj_last'),
    ];

    // The store's batch commit is all or nothing.
    await expect(store.applyWebhookDeliveries(batch)).rejects.toThrow();
    expect(await store.getWebhookEvent('evt_before_failure')).toBeUndefined();
    expect(await store.getObjectVersion('obj_before_failure')).toBeUndefined();

    attempts = [];
    const transactions: number[] = [];
    const committer = new DeliveryCommitter(counted, {
      onCommit: (deliveries) => transactions.push(deliveries),
    });
    const results = await Promise.allSettled(batch.map((each) => committer.commit(each)));

    expect(results.map((result) => result.status)).toEqual([
      'fulfilled',
      'rejected',
      'fulfilled',
      'fulfilled',
    ]);
    // The batch, rolled back; then each delivery alone.
    expect(attempts).toEqual([4, 1, 1, 1, 1]);
    expect(transactions).toEqual([1, 1, 1]);
    for (const id of ['before_failure', 'after_failure', 'last']) {
      expect(await store.getWebhookEvent(`evt_${id}`)).toMatchObject({ status: 'processed' });
      expect(await store.getObjectVersion(`obj_${id}`)).toBe(NOW);
    }
    expect(await store.getWebhookEvent('evt_conflicts_in_batch')).toBeUndefined();
    expect(await store.getObjectVersion('obj_conflicts_in_batch')).toBeUndefined();
    expect((await store.getCustomer(other.id))?.stripeCustomerId).toBeNull();
  });

  it('splits a queue longer than the largest batch', async () => {
    attempts = [];
    const committer = new DeliveryCommitter(counted, { maxBatch: 3 });
    const commits = await Promise.all(
      Array.from({ length: 7 }, (_, index) =>
        committer.commit(delivery(`evt_split_${index}`, `obj_split_${index}`)),
      ),
    );

    expect(commits.every((commit) => !commit.duplicate)).toBe(true);
    expect(attempts).toEqual([3, 3, 1]);
  });
});
