/**
 * Per-operation overage reaches Stripe exactly, on SQLite and PostgreSQL, against the emulator
 * (official SDK) with the catalog pushed as `tollgate plans push` does and a test clock from a fixed
 * date: units past each operation's month limit, recorded through the engine by concurrent requests
 * and their retries, are reported on the operation's own meter by the meter sender, and the meter's
 * total at Stripe equals the excess to the unit, while Stripe fails calls and loses answers; and the
 * example agent marketplace's executions past the allowance, up to the cap.
 */
import Stripe from 'stripe';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Backend, backends } from '../../../test/support/backends.js';
import { testCatalog } from '../../../test/support/test-catalog.js';
import type { Catalog } from '../../core/catalog/catalog.js';
import { loadCatalogFile } from '../../core/catalog/load-catalog-file.js';
import { ManualClock } from '../../core/clock.js';
import type { StripeCatalogIds } from '../../core/ports.js';
import { createTollgate } from '../../core/tollgate.js';
import { createMemoryCounters } from '../../counters/memory-counters.js';
import { seededRandom } from '../../emulator/faults.js';
import { type Emulator, startEmulator } from '../../emulator/index.js';
import { pushCatalog } from '../catalog-push/push-catalog.js';
import { MeterSender } from './meter-sender.js';

const HOUR = 3_600_000;
const START = Date.UTC(2026, 0, 15, 12);

/** `ops` sells 100 searches and 10 captures a month, the rest billed per unit (captures up to 50 cents); no credit quota. */
function operationOverageCatalog(): Catalog {
  const catalog = testCatalog();
  const pro = catalog.plans.find((plan) => plan.id === 'pro')!;
  catalog.plans.push({
    ...pro,
    id: 'ops',
    name: 'Ops',
    overage: null,
    limits: {
      ...pro.limits,
      credits: null,
      operations: {
        search: { windows: { month: 100 }, overage: { unitAmount: 1, unitQuantity: 1, capAmount: null } },
        capture: { windows: { month: 10 }, overage: { unitAmount: 5, unitQuantity: 1, capAmount: 50 } },
      },
    },
  });
  return catalog;
}

/**
 * A Stripe client whose first `lose` meter-event answers are lost after Stripe took the event; the
 * identifiers of those events go to `lost`.
 */
function losingAnswers(stripe: Stripe, lose: number, lost: string[]): Stripe {
  const meterEvents = {
    create: async (...args: Parameters<Stripe['billing']['meterEvents']['create']>) => {
      const created = await stripe.billing.meterEvents.create(...args);
      if (lost.length < lose) {
        lost.push(created.identifier);
        throw Object.assign(new Error('socket hang up'), { type: 'StripeConnectionError' });
      }
      return created;
    },
  };
  return { billing: { meterEvents } } as unknown as Stripe;
}

describe.each(backends)('per-operation overage at Stripe on %s', (_name, openBackend) => {
  let backend: Backend;
  let emulator: Emulator;
  let stripe: Stripe;

  beforeAll(async () => {
    emulator = await startEmulator({ tickIntervalMs: 0, faultSeed: 5 });
    stripe = new Stripe(emulator.secretKey, { ...emulator.stripeConfig(), maxNetworkRetries: 0 });
  });
  afterAll(async () => {
    await emulator.close();
  });
  afterEach(async () => {
    emulator.clearFaults();
    emulator.reset();
    await backend?.cleanup();
  });

  it('reports each operation’s excess on its own meter, to the unit, through failures and retries', async () => {
    backend = await openBackend();
    const { store } = backend;
    const { ids, clock, testClock, tollgate, customers, close } = await openEngine(
      operationOverageCatalog(),
      'ops',
      4,
    );

    // Per customer, over two hours: 130 searches of 1 unit and 5 captures of 5 units, every request
    // sent twice at once with the same idempotency key (a client retry), all in flight together.
    const send = (hour: number) =>
      Promise.all(
        customers.flatMap(({ id }) =>
          [
            ...Array.from({ length: 65 }, (_, index) => ({
              operation: 'search',
              quantity: 1,
              key: `s${hour}-${index}`,
            })),
            ...(hour === 0 ? [0, 1, 2, 3, 4] : []).map((index) => ({
              operation: 'capture',
              quantity: 5,
              key: `c${index}`,
            })),
          ].flatMap(({ operation, quantity, key }) =>
            [0, 1].map(() =>
              tollgate.consume(id, { operation, quantity, idempotencyKey: key, countRequest: false }),
            ),
          ),
        ),
      );
    const first = await send(0);
    clock.advance(HOUR);
    const second = await send(1);
    await tollgate.flush();
    // Capture: 10 included + 10 units of overage at 5 cents = the 50-cent cap; the fifth is refused.
    const refused = [...first, ...second].filter((decision) => !decision.allowed);
    expect(refused).toHaveLength(customers.length * 2);

    const expected = { search: 30, capture: 10 };
    for (const { id } of customers) {
      const standing = await tollgate.operationUsage(id);
      expect(standing.search?.month?.used).toBe(130);
      expect(standing.capture?.month?.used).toBe(20);
    }

    // Stripe fails a quarter of the calls, and the answers of the first three calls it took are lost.
    emulator.injectFault({ type: '500', rate: 0.25, seed: 9, path_prefix: '/v1/billing/meter_events' });
    clock.advance(2 * HOUR);
    await stripe.testHelpers.testClocks.advance(testClock, { frozen_time: clock.now() / 1000 });
    await emulator.settle();
    const accepted: string[] = [];
    const lost: string[] = [];
    const sender = new MeterSender({
      stripe: losingAnswers(stripe, 3, lost),
      store,
      clock,
      random: seededRandom(4),
      onCall: (call) => {
        if (call.outcome !== 'failed') accepted.push(call.identifier);
      },
    });
    let failed = 0;
    for (let pass = 0; pass < 30; pass++) {
      failed += (await sender.flushOnce(clock.now())).failed;
      if ((await store.listMeterWindows({ status: 'pending', limit: 1 })).length === 0) break;
      clock.advance(HOUR + 1000);
    }
    expect(failed).toBeGreaterThan(3);
    emulator.clearFaults();
    // One row per customer and meter (searches went past 100 in the second hour, captures in the
    // first), each accepted once; the events whose answers were lost were sent again, same identifier.
    const rows = await store.listMeterWindows({ limit: 100 });
    expect(rows.map((row) => row.meter).sort()).toEqual([
      ...Array(4).fill('operation:capture'),
      ...Array(4).fill('operation:search'),
    ]);
    expect(accepted).toHaveLength(rows.length);
    expect(new Set(accepted).size).toBe(rows.length);
    expect(lost).toHaveLength(3);
    for (const identifier of lost) expect(accepted).toContain(identifier);

    for (const { id, stripeId } of customers) {
      expect(await store.listMeterWindows({ customerId: id, status: 'pending', limit: 10 })).toEqual([]);
      for (const operation of ['search', 'capture'] as const) {
        const summaries = await stripe.billing.meters.listEventSummaries(
          ids.ops!.operations![operation]!.meter,
          {
            customer: stripeId,
            start_time: START / 1000 - 3600,
            end_time: START / 1000 + 3 * 3600,
          },
        );
        const total = summaries.data.reduce((sum, summary) => sum + summary.aggregated_value, 0);
        expect([operation, total]).toEqual([operation, expected[operation]]);
      }
      // Nothing on the credit-overage meter: the plan has no credit quota.
      expect(ids.ops?.meter).toBeUndefined();
    }
    await close();
  });

  it('bills the example agent marketplace’s executions past 1,000, up to the cap, to the unit', async () => {
    backend = await openBackend();
    const { store } = backend;
    const catalog = loadCatalogFile(
      new URL('../../../examples/catalogs/agent-marketplace.yaml', import.meta.url),
    );
    const { ids, clock, testClock, tollgate, customers, close } = await openEngine(catalog, 'pro', 1);
    const [customer] = customers;
    // 1,000 included, then $0.05 each up to $25: 500 more. 60 racing requests of 10: 50 fit.
    expect((await tollgate.consume(customer!.id, { operation: 'execution', quantity: 1000 })).allowed).toBe(
      true,
    );
    const decisions = await Promise.all(
      Array.from({ length: 60 }, () =>
        tollgate.consume(customer!.id, { operation: 'execution', quantity: 10 }),
      ),
    );
    expect(decisions.filter((decision) => decision.allowed)).toHaveLength(50);
    await tollgate.flush();

    clock.advance(2 * HOUR);
    await stripe.testHelpers.testClocks.advance(testClock, { frozen_time: clock.now() / 1000 });
    await emulator.settle();
    const sender = new MeterSender({ stripe, store, clock });
    expect(await sender.flushOnce(clock.now())).toMatchObject({ sent: 1, failed: 0 });
    const summaries = await stripe.billing.meters.listEventSummaries(ids.pro!.operations!.execution!.meter, {
      customer: customer!.stripeId,
      start_time: START / 1000,
      end_time: START / 1000 + 3 * 3600,
    });
    expect(summaries.data.reduce((sum, summary) => sum + summary.aggregated_value, 0)).toBe(500);
    const price = await stripe.prices.retrieve(ids.pro!.operations!.execution!.price);
    // 500 units at 5 cents: the $25 cap, to the cent.
    expect(500 * (price.unit_amount ?? 0)).toBe(2500);
    await close();
  });

  /**
   * The catalog pushed, the engine on the backend's store at START (billing time), and `count`
   * customers on `plan`, each with a Stripe customer on a test clock at the same time.
   */
  async function openEngine(catalog: Catalog, plan: string, count: number) {
    const { store } = backend;
    await pushCatalog({ stripe, catalog, store });
    const ids: StripeCatalogIds = await store.getStripeCatalogIds();
    const clock = new ManualClock(START);
    const testClock = (await stripe.testHelpers.testClocks.create({ frozen_time: START / 1000 })).id;
    const counters = createMemoryCounters();
    const tollgate = createTollgate({
      catalog,
      store,
      counters,
      clock,
      commitConcurrency: backend.name === 'postgres' ? 4 : 1,
    });
    const customers: { id: string; stripeId: string }[] = [];
    for (let index = 0; index < count; index++) {
      const customer = await tollgate.createCustomer({ plan, name: `${plan} ${index}` });
      const stripeCustomer = await stripe.customers.create({ name: customer.id, test_clock: testClock });
      await tollgate.updateCustomer(customer.id, { stripeCustomerId: stripeCustomer.id });
      customers.push({ id: customer.id, stripeId: stripeCustomer.id });
    }
    const close = async () => {
      await tollgate.close();
      await counters.close();
    };
    return { ids, clock, testClock, tollgate, customers, close };
  }
});
