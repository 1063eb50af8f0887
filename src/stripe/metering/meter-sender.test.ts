/**
 * The meter sender against the emulator (official SDK) on SQLite and PostgreSQL: usage recorded through
 * the engine reaches Stripe's meter exactly, once per (customer, window), also while Stripe fails a
 * fifth of the calls, and once Stripe is back from an outage with slow answers; the call rate stays under its ceiling; a lost answer is not counted twice.
 */
import Stripe from 'stripe';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Backend, backends } from '../../../test/support/backends.js';
import { seededRandom } from '../../emulator/faults.js';
import { type Emulator, startEmulator } from '../../emulator/index.js';
import { meterEventIdentifier } from './meter-identifier.js';
import { type MeterLoadResult, maxInAnySecond, runMeterLoad } from './meter-load.js';
import { type MeterCall, MeterSender } from './meter-sender.js';

const HOUR = 3_600_000;

/** Stripe's view: the meter's total per customer over the load's range. */
async function stripeTotals(stripe: Stripe, result: MeterLoadResult): Promise<Map<string, number>> {
  const totals = new Map<string, number>();
  for (const customer of result.localTotals.keys()) {
    const summaries = await stripe.billing.meters.listEventSummaries(result.meterId, {
      customer,
      start_time: result.startTime,
      end_time: result.endTime,
    });
    totals.set(
      customer,
      summaries.data.reduce((sum, summary) => sum + summary.aggregated_value, 0),
    );
  }
  return totals;
}

describe.each(backends)('MeterSender on %s', (_name, openBackend) => {
  let backend: Backend;
  let emulator: Emulator;
  let stripe: Stripe;

  beforeAll(async () => {
    emulator = await startEmulator({ tickIntervalMs: 0, faultSeed: 7 });
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

  it('reports 100,000 overage events of 100 customers as one meter event per customer and window, totals exact', async () => {
    backend = await openBackend();
    const result = await runMeterLoad({
      store: backend.store,
      stripe,
      customers: 100,
      events: 100_000,
      windows: 2,
      commitConcurrency: backend.name === 'postgres' ? 4 : 1,
    });
    expect(result.windows).toBe(200);
    expect(result.calls).toBe(200);
    expect(result.failed).toBe(0);
    expect(result.maxCallsPerWindow).toBe(1);
    // 1,000 events per customer, 1 credit each, 1 credit included: 999 credits of overage each.
    expect([...result.localTotals.values()]).toEqual(Array(100).fill(999_000));
    expect(await stripeTotals(stripe, result)).toEqual(result.localTotals);
    expect(await backend.store.listMeterWindows({ status: 'pending', limit: 1 })).toEqual([]);
  });

  it('keeps totals exact, one accepted event per window, while Stripe fails 20% of calls with 500 and 429', async () => {
    backend = await openBackend();
    const path = '/v1/billing/meter_events';
    emulator.injectFault({ type: '500', rate: 0.1, seed: 11, path_prefix: path });
    emulator.injectFault({ type: '429', rate: 0.1 / 0.9, seed: 12, path_prefix: path });
    const result = await runMeterLoad({
      store: backend.store,
      stripe,
      customers: 100,
      events: 100_000,
      windows: 2,
      commitConcurrency: backend.name === 'postgres' ? 4 : 1,
      sender: { random: seededRandom(3) },
    });
    expect(result.failed).toBeGreaterThan(10);
    expect(result.accepted).toBe(200);
    expect(result.maxCallsPerWindow).toBe(1);
    expect(result.passes.length).toBeGreaterThan(1);
    expect(await stripeTotals(stripe, result)).toEqual(result.localTotals);
    expect(await backend.store.listMeterWindows({ status: 'pending', limit: 1 })).toEqual([]);
    const retried = await backend.store.listMeterWindows({ limit: 1000 });
    expect(retried.filter((window) => window.attempts > 0).length).toBe(result.failed - countRepeats(result));
  });

  it('keeps every window pending through an outage with slow answers, then drains to the unit', async () => {
    backend = await openBackend();
    const path = '/v1/billing/meter_events';
    // Stripe down for the first 120 calls (three passes over 40 windows), the first 40 also slow.
    emulator.injectFault({ type: '500', count: 120, path_prefix: path });
    emulator.injectFault({ type: 'slow', count: 40, delay_ms: 150, path_prefix: path });
    const result = await runMeterLoad({
      store: backend.store,
      stripe,
      customers: 20,
      events: 2000,
      windows: 2,
      commitConcurrency: backend.name === 'postgres' ? 4 : 1,
    });
    expect(result.failed).toBe(120);
    expect(result.accepted).toBe(40);
    expect(result.passes.length).toBeGreaterThanOrEqual(4);
    expect(await stripeTotals(stripe, result)).toEqual(result.localTotals);
    expect(await backend.store.listMeterWindows({ status: 'pending', limit: 1 })).toEqual([]);
  });

  it('never starts more calls in a second than its limit, nor two at once for one customer and meter', async () => {
    backend = await openBackend();
    const requests: number[] = [];
    const onRequest = () => requests.push(performance.now());
    stripe.on('request', onRequest);
    try {
      const result = await runMeterLoad({
        store: backend.store,
        stripe,
        customers: 60,
        events: 6000,
        windows: 2,
        sender: { callsPerSecond: 50 },
      });
      expect(result.calls).toBe(120);
      expect(result.maxCallsPerSecond).toBeLessThanOrEqual(50);
      // The SDK's own record of requests agrees (it also sent the load's setup calls, before these). It
      // sees each call a few ms after the limiter let it start, and that jitter can bring two calls a
      // second apart a little closer, hence the 20 ms of slack.
      const meterRequests = requests.slice(-120);
      expect(maxInAnySecond(meterRequests, 980)).toBeLessThanOrEqual(50);
      // 120 calls at 50/s cannot take less than 1.4 s: the limit held them back.
      expect(Math.max(...meterRequests) - Math.min(...meterRequests)).toBeGreaterThanOrEqual(1400);
      expect(await stripeTotals(stripe, result)).toEqual(result.localTotals);
      // Each customer's two windows were sent one after the other.
      const byCustomer = new Map<string, MeterCall[]>();
      for (const call of result.log)
        byCustomer.set(call.customerId, [...(byCustomer.get(call.customerId) ?? []), call]);
      for (const calls of byCustomer.values()) {
        const [first, second] = [...calls].sort((a, b) => a.startedAt - b.startedAt);
        expect(second!.startedAt).toBeGreaterThanOrEqual(first!.finishedAt);
      }
    } finally {
      stripe.off('request', onRequest);
    }
  });

  it('counts a window as sent when Stripe already has its identifier (an answer that was lost)', async () => {
    backend = await openBackend();
    const store = backend.store;
    const load = await runMeterLoad({ store, stripe, customers: 1, events: 3, maxPasses: 0 });
    const [window] = await store.listMeterWindows({ limit: 10 });
    // The first attempt reached Stripe, but its answer never came back.
    await stripe.billing.meterEvents.create({
      event_name: 'tollgate_overage',
      identifier: meterEventIdentifier(window!),
      timestamp: Math.floor(window!.windowStart / 1000),
      payload: { stripe_customer_id: window!.stripeCustomerId!, value: String(window!.value) },
    });
    const calls: string[] = [];
    const sender = new MeterSender({ stripe, store, onCall: (call) => calls.push(call.outcome) });
    const pass = await sender.flushOnce(window!.windowEnd + HOUR);
    expect(pass).toMatchObject({ claimed: 1, duplicates: 1, sent: 0, failed: 0 });
    expect(calls).toEqual(['duplicate']);
    expect(await store.listMeterWindows({ limit: 10 })).toEqual([
      expect.objectContaining({ status: 'sent' }),
    ]);
    expect(await stripeTotals(stripe, load)).toEqual(new Map([[window!.stripeCustomerId!, 2000]]));
  });

  it('reports usage committed into a window after its send as a second event, not a lost one', async () => {
    backend = await openBackend();
    const store = backend.store;
    const load = await runMeterLoad({ store, stripe, customers: 1, events: 3 });
    const [window] = await store.listMeterWindows({ limit: 10 });
    // A commit that began before the window closed and landed after the send.
    await store.commitUsage(
      [
        {
          customerId: window!.customerId,
          periodStart: window!.windowStart - (window!.windowStart % HOUR),
          operation: 'call',
          quantity: 1,
          cost: 1000,
          limit: null,
          included: 0,
          idempotencyKey: null,
          requestHash: null,
          occurredAt: window!.windowStart,
        },
      ],
      window!.windowStart + 1000,
    );
    const identifiers: string[] = [];
    const sender = new MeterSender({ stripe, store, onCall: (call) => identifiers.push(call.identifier) });
    await sender.flushOnce(window!.windowEnd + HOUR);
    expect(identifiers).toEqual([`${meterEventIdentifier({ ...window!, sentValue: 0 })}:2000`]);
    expect(await stripeTotals(stripe, load)).toEqual(new Map([[window!.stripeCustomerId!, 3000]]));
  });

  it('leaves windows of customers without a Stripe customer id pending', async () => {
    backend = await openBackend();
    const store = backend.store;
    await runMeterLoad({ store, stripe, customers: 2, events: 4, maxPasses: 0 });
    const [first] = await store.listMeterWindows({ limit: 10 });
    await store.updateCustomer(first!.customerId, { stripeCustomerId: null, updatedAt: Date.now() });
    const sender = new MeterSender({ stripe, store });
    const pass = await sender.flushOnce(first!.windowEnd + HOUR);
    expect(pass).toMatchObject({ claimed: 1, sent: 1 });
    expect(await store.listMeterWindows({ status: 'pending', limit: 10 })).toEqual([
      expect.objectContaining({ customerId: first!.customerId, attempts: 0 }),
    ]);
  });
});

/** Failed calls beyond the first per window (a row that failed twice counts once in `attempts > 0`). */
function countRepeats(result: MeterLoadResult): number {
  const failures = new Map<string, number>();
  for (const call of result.log) {
    if (call.outcome !== 'failed') continue;
    const key = `${call.customerId}:${call.windowStart}`;
    failures.set(key, (failures.get(key) ?? 0) + 1);
  }
  return [...failures.values()].reduce((sum, count) => sum + count - 1, 0);
}
