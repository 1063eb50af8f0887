/**
 * A load scenario for metered billing, for the benchmark and the tests: N usage events for M
 * customers on a plan with overage, recorded through the engine (`consume()`, durable), then reported
 * to Stripe by a `MeterSender`. It answers how many meter-event calls that made, how many per
 * (customer, window), and the most calls started in any one second.
 *
 * @example
 * const emulator = await startEmulator({ tickIntervalMs: 0 });
 * const stripe = new Stripe(emulator.secretKey, { ...emulator.stripeConfig(), maxNetworkRetries: 0 });
 * const store = createStore('sqlite::memory:'); await store.migrate();
 * const result = await runMeterLoad({ store, stripe, customers: 1000, events: 1_000_000 });
 * // result.calls === 1000, result.maxCallsPerSecond <= 1000
 */
import type Stripe from 'stripe';
import type { Catalog } from '../../core/catalog/catalog.js';
import { ManualClock } from '../../core/clock.js';
import type { Store } from '../../core/ports.js';
import { createTollgate } from '../../core/tollgate.js';
import { createMemoryCounters } from '../../counters/memory-counters.js';
import { type MeterCall, type MeterPass, MeterSender, type MeterSenderOptions } from './meter-sender.js';

const HOUR = 3_600_000;

export interface MeterLoadOptions {
  store: Store;
  stripe: Stripe;
  customers: number;
  events: number;
  /** Hourly windows the events are spread over, in order (default 1). */
  windows?: number;
  /** `consume()` calls in flight per wave (default 1,000: far more in flight makes the engine slower, not faster). */
  waveSize?: number;
  /** Engine commit concurrency (default 1; a few on PostgreSQL). */
  commitConcurrency?: number;
  /** Passed to the sender (callsPerSecond, random, ...). */
  sender?: Partial<MeterSenderOptions>;
  /** Passes until the outbox is empty; between them the clock moves past every backoff (default 50). */
  maxPasses?: number;
}

export interface MeterLoadResult {
  events: number;
  customers: number;
  /** Milliseconds recording the events (consume() through durable commits). */
  recordMs: number;
  /** Milliseconds from the first pass to an empty outbox. */
  sendMs: number;
  /** Every Stripe call, failed ones included. */
  calls: number;
  /** Calls Stripe accepted (sent) or recognised as already accepted (duplicate). */
  accepted: number;
  failed: number;
  /** Distinct (customer, meter, window) rows reported. */
  windows: number;
  /** Most accepted calls for one (customer, meter, window): 1 unless usage arrived after a send. */
  maxCallsPerWindow: number;
  /** Most calls started within any one second. */
  maxCallsPerSecond: number;
  passes: MeterPass[];
  /** Milli-credits of overage in the outbox, per Stripe customer id. */
  localTotals: Map<string, number>;
  /** The meter the events went to, and the time range (Unix seconds) they cover, to read summaries. */
  meterId: string;
  startTime: number;
  endTime: number;
  log: MeterCall[];
}

/** A catalog with one plan whose quota is 1 credit and whose usage past it is billed as overage. */
export function meterLoadCatalog(): Catalog {
  return {
    currency: 'usd',
    defaultPlan: 'metered',
    upgradeUrl: null,
    features: {},
    exemptRoutes: [],
    operations: { call: { id: 'call', cost: 1000, description: null } },
    plans: [
      {
        id: 'metered',
        name: 'Metered',
        description: null,
        prices: { month: 1000, year: null },
        trialDays: 0,
        stripe: { productId: null, monthlyPriceId: null, yearlyPriceId: null, overagePriceId: null },
        limits: {
          credits: 1000,
          requestsPerMinute: null,
          requestsPerDay: null,
          concurrentRequests: null,
          storageBytes: null,
          storageItems: null,
          operations: {},
        },
        features: [],
        overage: { unitAmount: 10, unitCredits: 1000, capAmount: null },
      },
    ],
  };
}

/** Finds the active meter for `eventName`, creating it (sum of `value`) when Stripe has none. */
export async function ensureOverageMeter(stripe: Stripe, eventName = 'tollgate_overage'): Promise<string> {
  for await (const meter of stripe.billing.meters.list({ status: 'active', limit: 100 })) {
    if (meter.event_name === eventName) return meter.id;
  }
  const meter = await stripe.billing.meters.create({
    display_name: 'Tollgate overage (milli-credits)',
    event_name: eventName,
    default_aggregation: { formula: 'sum' },
  });
  return meter.id;
}

export async function runMeterLoad(options: MeterLoadOptions): Promise<MeterLoadResult> {
  const { store, stripe } = options;
  const windowCount = options.windows ?? 1;
  const meterId = await ensureOverageMeter(stripe, options.sender?.eventNames?.overage);
  // Closed hours in the recent past: Stripe takes meter events up to 35 days old, none from the future.
  const firstWindow = Math.floor(Date.now() / HOUR) * HOUR - (windowCount + 1) * HOUR;
  const clock = new ManualClock(firstWindow + 60_000);
  const counters = createMemoryCounters();
  const tollgate = createTollgate({
    catalog: meterLoadCatalog(),
    store,
    counters,
    clock,
    commitConcurrency: options.commitConcurrency ?? 1,
  });

  const customerIds: string[] = [];
  const stripeIds = new Map<string, string>();
  const created = await mapLimited(options.customers, 32, async (index) => {
    const customer = await tollgate.createCustomer({ plan: 'metered', name: `load ${index}` });
    const stripeCustomer = await stripe.customers.create(
      { name: customer.id, metadata: { tollgate_customer: customer.id } },
      { idempotencyKey: `tollgate:meter-load:customer:${customer.id}` },
    );
    await tollgate.updateCustomer(customer.id, { stripeCustomerId: stripeCustomer.id });
    return [customer.id, stripeCustomer.id] as const;
  });
  for (const [id, stripeId] of created) {
    customerIds.push(id);
    stripeIds.set(id, stripeId);
  }

  const waveSize = options.waveSize ?? 1000;
  const waves = Math.ceil(options.events / waveSize);
  const recordStarted = performance.now();
  for (let wave = 0; wave < waves; wave++) {
    clock.set(firstWindow + Math.floor((wave * windowCount) / waves) * HOUR + 60_000);
    const size = Math.min(waveSize, options.events - wave * waveSize);
    const decisions = await Promise.all(
      Array.from({ length: size }, (_, index) =>
        tollgate.consume(customerIds[(wave * waveSize + index) % customerIds.length]!, {
          operation: 'call',
          countRequest: false,
        }),
      ),
    );
    const denied = decisions.filter((decision) => !decision.allowed).length;
    if (denied > 0) throw new Error(`${denied} usage events were denied; the load plan admits all`);
  }
  await tollgate.flush();
  const recordMs = performance.now() - recordStarted;
  await tollgate.close();
  await counters.close();

  const log: MeterCall[] = [];
  const sender = new MeterSender({
    ...options.sender,
    stripe,
    store,
    clock,
    onCall: (call) => {
      log.push(call);
      options.sender?.onCall?.(call);
    },
  });
  const passes: MeterPass[] = [];
  const endOfLast = firstWindow + windowCount * HOUR;
  let now = endOfLast + 120_000;
  const sendStarted = performance.now();
  for (let pass = 0; pass < (options.maxPasses ?? 50); pass++) {
    passes.push(await sender.flushOnce(now));
    const pending = await store.listMeterWindows({ status: 'pending', limit: 1 });
    if (pending.length === 0) break;
    // Past every backoff (at most an hour), so failed rows are due in the next pass.
    now += 3_600_000 + 1000;
  }
  const sendMs = performance.now() - sendStarted;

  const localTotals = new Map<string, number>();
  const rows = new Set<string>();
  for (const id of customerIds) {
    const windows = await store.listMeterWindows({ customerId: id, limit: 10_000 });
    const stripeId = stripeIds.get(id)!;
    for (const window of windows) {
      rows.add(`${id}:${window.windowStart}`);
      localTotals.set(stripeId, (localTotals.get(stripeId) ?? 0) + window.value);
    }
  }
  const perWindow = new Map<string, number>();
  for (const call of log) {
    if (call.outcome === 'failed') continue;
    const key = `${call.customerId}:${call.meter}:${call.windowStart}`;
    perWindow.set(key, (perWindow.get(key) ?? 0) + 1);
  }
  return {
    events: options.events,
    customers: options.customers,
    recordMs,
    sendMs,
    calls: log.length,
    accepted: log.filter((call) => call.outcome !== 'failed').length,
    failed: log.filter((call) => call.outcome === 'failed').length,
    windows: rows.size,
    maxCallsPerWindow: Math.max(0, ...perWindow.values()),
    maxCallsPerSecond: maxInAnySecond(log.map((call) => call.startedAt)),
    passes,
    localTotals,
    meterId,
    startTime: Math.floor(firstWindow / 1000),
    endTime: Math.floor(endOfLast / 1000),
    log,
  };
}

/** The most timestamps (ms) that fall within any window [t, t + spanMs) (default one second). */
export function maxInAnySecond(times: readonly number[], spanMs = 1000): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  let first = 0;
  for (let last = 0; last < sorted.length; last++) {
    while (sorted[last]! - sorted[first]! >= spanMs) first++;
    most = Math.max(most, last - first + 1);
  }
  return most;
}

async function mapLimited<T>(
  count: number,
  limit: number,
  task: (index: number) => Promise<T>,
): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      results[index] = await task(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
  return results;
}
