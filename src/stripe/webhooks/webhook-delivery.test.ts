/**
 * One webhook delivery is one store transaction, on SQLite and PostgreSQL: a handler's writes are
 * committed with the event and its status or not at all (a handler failing after writing, a commit
 * failing on its last write), a delivery finding its event processed by a concurrent one writes
 * nothing (unless replayed), and the body is parsed once.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { backends } from '../../../test/support/backends.js';
import { ManualClock } from '../../core/clock.js';
import type { Store } from '../../core/ports.js';
import { createTollgate, type Tollgate } from '../../core/tollgate.js';
import { createMemoryCounters } from '../../counters/memory-counters.js';
import { signPayload } from '../../emulator/index.js';
import { createStripeClient } from '../stripe-client.js';
import type { WebhookHandler } from './webhook-context.js';
import { createWebhookInbox, type WebhookInbox } from './webhook-inbox.js';

const SECRET = 'whsec_delivery_test';
const NOW = Date.UTC(2026, 4, 10, 12);

/** Writes an audit line and an object version, then fails when the object says so. */
const writingHandler: WebhookHandler = {
  types: ['test.object.changed'],
  async handle(context) {
    const object = context.event.data.object as { id: string; fail?: boolean };
    await context.audit('test.changed', null, { objectId: object.id });
    await context.applied(object.id);
    if (object.fail) throw new Error('the handler failed after writing');
    return 'applied';
  },
};

describe.each(backends)('a webhook delivery on %s', (_name, open) => {
  let backend: Awaited<ReturnType<typeof open>>;
  let store: Store;
  let tollgate: Tollgate;
  let inbox: WebhookInbox;

  beforeAll(async () => {
    backend = await open();
    store = backend.store;
    tollgate = createTollgate({
      catalog: (await import('../../core/catalog/demo-catalog.js')).demoCatalog(),
      store,
      counters: createMemoryCounters(),
      clock: new ManualClock(NOW),
    });
    inbox = createWebhookInbox({
      tollgate,
      // Never called: these events need nothing from Stripe.
      stripe: createStripeClient({ secretKey: 'sk_test_delivery', apiBase: 'http://127.0.0.1:9' }),
      prices: () => ({}) as never,
      secrets: [SECRET],
      handlers: [writingHandler],
    });
  });

  afterAll(async () => {
    await tollgate.close();
    await backend.cleanup();
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  const event = (id: string, object: Record<string, unknown>) =>
    JSON.stringify({
      id,
      object: 'event',
      type: 'test.object.changed',
      created: Math.floor(NOW / 1000),
      data: { object: { object: 'thing', ...object } },
    });
  const deliver = (payload: string, parsed?: unknown) =>
    inbox.receive(Buffer.from(payload), signPayload(payload, SECRET), parsed);
  const audited = async (objectId: string) =>
    (await store.listAudit({ action: 'test.changed', limit: 100 })).entries.filter(
      (entry) => entry.details.objectId === objectId,
    );

  it("commits the handler's writes with the event, and none of them when it fails after writing", async () => {
    const failed = await deliver(event('evt_fails', { id: 'obj_fails', fail: true }));
    expect(failed.status).toBe(500);
    expect(await store.getWebhookEvent('evt_fails')).toMatchObject({ status: 'failed', attempts: 1 });
    expect(await audited('obj_fails')).toEqual([]);
    expect(await store.getObjectVersion('obj_fails')).toBeUndefined();

    const applied = await deliver(event('evt_applies', { id: 'obj_applies' }));
    expect(applied).toEqual({ status: 200, body: { received: true, outcome: 'processed' } });
    expect(await store.getWebhookEvent('evt_applies')).toMatchObject({ status: 'processed', attempts: 1 });
    expect(await audited('obj_applies')).toHaveLength(1);
    expect(await store.getObjectVersion('obj_applies')).toBe(NOW);
  });

  it('writes nothing of a delivery whose commit fails on its last write', async () => {
    const first = await tollgate.createCustomer({});
    const second = await tollgate.createCustomer({});
    await tollgate.updateCustomer(first.id, { stripeCustomerId: 'cus_taken' });
    const delivery = {
      event: {
        id: 'evt_conflicts',
        type: 'test.object.changed',
        created: NOW,
        receivedAt: NOW,
        payload: '{}',
      },
      writes: [
        { kind: 'version' as const, objectId: 'obj_conflicts', appliedAt: NOW },
        // The Stripe customer is linked to another customer: a unique violation.
        {
          kind: 'customer' as const,
          id: second.id,
          patch: { stripeCustomerId: 'cus_taken', updatedAt: NOW },
        },
      ],
      outcome: { status: 'processed' as const, at: NOW },
    };
    await expect(store.applyWebhookDelivery(delivery)).rejects.toThrow();
    expect(await store.getWebhookEvent('evt_conflicts')).toBeUndefined();
    expect(await store.getObjectVersion('obj_conflicts')).toBeUndefined();
    expect((await store.getCustomer(second.id))?.stripeCustomerId).toBeNull();
  });

  it('writes nothing for an event a concurrent delivery processed, unless it is replayed', async () => {
    const delivery = (objectId: string, reapply?: boolean) => ({
      event: { id: 'evt_twice', type: 'test.object.changed', created: NOW, receivedAt: NOW, payload: '{}' },
      writes: [{ kind: 'version' as const, objectId, appliedAt: NOW }],
      outcome: { status: 'processed' as const, at: NOW },
      ...(reapply && { reapply }),
    });
    expect(await store.applyWebhookDelivery(delivery('obj_first'))).toEqual({
      duplicate: false,
      customers: [],
    });
    expect(await store.applyWebhookDelivery(delivery('obj_second'))).toEqual({
      duplicate: true,
      customers: [],
    });
    expect(await store.getObjectVersion('obj_second')).toBeUndefined();
    expect(await store.applyWebhookDelivery(delivery('obj_third', true))).toMatchObject({ duplicate: false });
    expect(await store.getObjectVersion('obj_third')).toBe(NOW);
    expect(await store.getWebhookEvent('evt_twice')).toMatchObject({ status: 'processed', attempts: 2 });
  });

  it('parses the body once: not at all when given it parsed, once from the bytes otherwise', async () => {
    const parsedPayload = event('evt_parsed', { id: 'obj_parsed' });
    const parsed: unknown = JSON.parse(parsedPayload);
    const parse = vi.spyOn(JSON, 'parse');
    expect((await deliver(parsedPayload, parsed)).status).toBe(200);
    expect(parse.mock.calls.filter(([text]) => text === parsedPayload)).toHaveLength(0);

    const rawPayload = event('evt_raw', { id: 'obj_raw' });
    expect((await deliver(rawPayload)).status).toBe(200);
    expect(parse.mock.calls.filter(([text]) => text === rawPayload)).toHaveLength(1);
    expect(await audited('obj_raw')).toHaveLength(1);
  });

  it('parses nothing unsigned, and refuses signed bytes that are not an event with nothing stored', async () => {
    const parse = vi.spyOn(JSON, 'parse');
    const unsigned = event('evt_unsigned', { id: 'obj_unsigned' });
    expect(await inbox.receive(Buffer.from(unsigned), signPayload(unsigned, 'whsec_other'))).toMatchObject({
      status: 400,
      body: { path: 'stripe-signature' },
    });
    expect(parse.mock.calls.filter(([text]) => text === unsigned)).toHaveLength(0);

    expect(await deliver('{"id": "evt_cut"')).toMatchObject({
      status: 400,
      body: { error: 'invalid_request', message: 'The body is not valid JSON.', path: 'body' },
    });
    const noObject = JSON.stringify({
      id: 'evt_shapeless',
      type: 'test.object.changed',
      created: 1,
      data: {},
    });
    expect(await deliver(noObject)).toMatchObject({
      status: 400,
      body: { error: 'invalid_request', path: 'body.data.object' },
    });
    const listObject = JSON.stringify({ id: 'evt_list', type: 'x', created: 1, data: { object: [] } });
    expect(await deliver(listObject)).toMatchObject({ status: 400, body: { path: 'body.data.object' } });
    for (const id of ['evt_unsigned', 'evt_cut', 'evt_shapeless', 'evt_list']) {
      expect(await store.getWebhookEvent(id)).toBeUndefined();
    }
  });
});
