/**
 * Reports the meter outbox to Stripe Billing Meters: one meter event per closed (customer, meter,
 * window) row, with the window's overage: milli-credits on the credit-overage meter, units of the
 * operation on an operation's meter.
 *
 * Each pass claims closed, due rows (the store leases them, so several instances never send one row at
 * once), sends them under a call-rate ceiling with at most one call in flight per customer and meter
 * (Stripe's limits), and marks each sent or failed. A failure is retried later with exponential
 * backoff and jitter, under the same identifier and amount; Stripe's answer that the identifier is
 * already known means an earlier attempt got through, and counts as sent. That is what makes retries
 * safe: an amount is reported at most once, and, as long as Stripe takes it eventually, at least once.
 *
 * Rows of customers without a Stripe customer id are not claimed and stay pending: they are sent once
 * the customer has one (a subscription with overage always does).
 */
import type Stripe from 'stripe';
import { type Clock, systemClock } from '../../core/clock.js';
import type { MeterWindow, Store } from '../../core/ports.js';
import { CallRateLimiter } from './call-rate-limiter.js';
import { DEFAULT_METER_EVENT_NAMES, meterEventName } from './meter-event-names.js';
import { meterEventIdentifier } from './meter-identifier.js';

export { DEFAULT_METER_EVENT_NAMES };

export interface MeterSenderOptions {
  stripe: Stripe;
  store: Store;
  /** The engine's clock: windows, due times and backoff are in its time. */
  clock?: Clock;
  /**
   * Outbox meter -> Stripe `event_name`, over the defaults (`tollgate_overage` for the credit overage,
   * `tollgate_op_<operation>` for an operation's: what `tollgate plans push` creates).
   */
  eventNames?: Readonly<Record<string, string>>;
  /** Most meter-event calls started in any one second, across this sender (default 1,000: Stripe's limit). */
  callsPerSecond?: number;
  /** Most calls in flight at once (default 64). */
  maxInFlight?: number;
  /** Wait past a window's end before reporting it, for commits that began before it closed (default 60 s). */
  closeDelayMs?: number;
  /** Rows claimed per pass (default 1,000). */
  batchSize?: number;
  /** How long a claim holds a row; a sender that dies mid-send frees its rows after this (default 5 min). */
  leaseMs?: number;
  /** Between passes when running (default 10 s). */
  pollIntervalMs?: number;
  /** First retry delay (default 1 s), doubled per attempt up to `maxBackoffMs` (default 1 h), with jitter. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** In [0, 1): the jitter's source (default Math.random; a seeded one in tests). */
  random?: () => number;
  /** Called once per Stripe call, when its answer is known. */
  onCall?: (call: MeterCall) => void;
  /** Called when a pass fails as a whole (the store is down); the next pass tries again. */
  onError?: (error: unknown) => void;
}

export interface MeterCall {
  /** When the call started and ended, `performance.now()` ms (real time: for rate measurements). */
  startedAt: number;
  finishedAt: number;
  customerId: string;
  meter: string;
  windowStart: number;
  identifier: string;
  value: number;
  outcome: 'sent' | 'duplicate' | 'failed';
  error?: string;
}

export interface MeterPass {
  claimed: number;
  sent: number;
  /** Stripe already had the identifier: an earlier attempt got through. Counted as sent. */
  duplicates: number;
  failed: number;
}

export class MeterSender {
  readonly #options: MeterSenderOptions;
  readonly #clock: Clock;
  readonly #limiter: CallRateLimiter;
  readonly #eventNames: Readonly<Record<string, string>>;
  readonly #maxInFlight: number;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> = Promise.resolve();
  #stopped = true;

  constructor(options: MeterSenderOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#limiter = new CallRateLimiter({ callsPerSecond: options.callsPerSecond ?? 1000 });
    this.#eventNames = options.eventNames ?? DEFAULT_METER_EVENT_NAMES;
    this.#maxInFlight = options.maxInFlight ?? 64;
  }

  /** Runs passes every `pollIntervalMs` until `stop()`. */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    const loop = () => {
      this.#running = this.flushOnce(this.#clock.now())
        .catch((error: unknown) => this.#options.onError?.(error))
        .finally(() => {
          if (!this.#stopped) {
            this.#timer = setTimeout(loop, this.#options.pollIntervalMs ?? 10_000);
            this.#timer.unref();
          }
        });
    };
    loop();
  }

  /** Stops the timer and waits for the pass in progress (its calls finish and are recorded). */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  /**
   * Sends every window closed and due at `now`, claim after claim, until none is left. Rows that fail
   * are due again later (backoff), so a pass ends even while Stripe is failing.
   */
  async flushOnce(now: number): Promise<MeterPass> {
    const pass: MeterPass = { claimed: 0, sent: 0, duplicates: 0, failed: 0 };
    const batchSize = this.#options.batchSize ?? 1000;
    for (;;) {
      const windows = await this.#options.store.claimMeterWindows({
        now,
        closedBy: now - (this.#options.closeDelayMs ?? 60_000),
        limit: batchSize,
        leaseMs: this.#options.leaseMs ?? 300_000,
      });
      pass.claimed += windows.length;
      await this.#sendAll(windows, now, pass);
      if (windows.length < batchSize) return pass;
    }
  }

  /**
   * One call per window; windows of the same customer and meter wait for each other (Stripe allows one
   * concurrent call per customer and meter), others run up to `maxInFlight` at once.
   */
  async #sendAll(windows: readonly MeterWindow[], now: number, pass: MeterPass): Promise<void> {
    const queues = new Map<string, MeterWindow[]>();
    for (const window of windows) {
      const key = `${window.customerId}\u0000${window.meter}`;
      const queue = queues.get(key);
      if (queue === undefined) queues.set(key, [window]);
      else queue.push(window);
    }
    const lanes = [...queues.values()];
    let nextLane = 0;
    const worker = async () => {
      while (nextLane < lanes.length) {
        const lane = lanes[nextLane++]!;
        for (const window of lane) await this.#send(window, now, pass);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.#maxInFlight, lanes.length) }, worker));
  }

  async #send(window: MeterWindow, now: number, pass: MeterPass): Promise<void> {
    const { store, stripe } = this.#options;
    const value = (window.sendingValue ?? window.value) - window.sentValue;
    const eventName = meterEventName(window.meter, this.#eventNames);
    if (value <= 0 || window.stripeCustomerId === null || eventName === undefined) {
      // Nothing to report (or a meter nobody maps): settle the row rather than retry it forever.
      if (eventName === undefined) {
        await store.markMeterWindowFailed(
          window,
          `no Stripe event name for meter '${window.meter}'`,
          this.#retryAt(window, now),
        );
        pass.failed += 1;
      } else {
        await store.markMeterWindowSent(window, now);
      }
      return;
    }
    const identifier = meterEventIdentifier(window);
    const startedAt = await this.#limiter.take();
    const call = {
      startedAt,
      customerId: window.customerId,
      meter: window.meter,
      windowStart: window.windowStart,
      identifier,
      value,
    };
    try {
      await stripe.billing.meterEvents.create(
        {
          event_name: eventName,
          identifier,
          timestamp: Math.floor(window.windowStart / 1000),
          payload: { stripe_customer_id: window.stripeCustomerId, value: String(value) },
        },
        // Our own retries, with backoff, under the rate limit: the SDK's would be calls the limiter never saw.
        { idempotencyKey: identifier, maxNetworkRetries: 0 },
      );
      this.#options.onCall?.({ ...call, finishedAt: performance.now(), outcome: 'sent' });
      await store.markMeterWindowSent(window, now);
      pass.sent += 1;
    } catch (error) {
      if (isDuplicateIdentifier(error)) {
        this.#options.onCall?.({ ...call, finishedAt: performance.now(), outcome: 'duplicate' });
        await store.markMeterWindowSent(window, now);
        pass.duplicates += 1;
        return;
      }
      const message = describeError(error);
      this.#options.onCall?.({ ...call, finishedAt: performance.now(), outcome: 'failed', error: message });
      await store.markMeterWindowFailed(window, message, this.#retryAt(window, now));
      pass.failed += 1;
    }
  }

  /** Exponential backoff with "equal jitter": half the delay fixed, half random, so retries spread out. */
  #retryAt(window: MeterWindow, now: number): number {
    const initial = this.#options.initialBackoffMs ?? 1000;
    const max = this.#options.maxBackoffMs ?? 3_600_000;
    const delay = Math.min(max, initial * 2 ** Math.min(window.attempts, 30));
    const random = this.#options.random ?? Math.random;
    return now + Math.ceil(delay / 2 + (delay / 2) * random());
  }
}

function isDuplicateIdentifier(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'meter_event_duplicate_identifier';
}

function describeError(error: unknown): string {
  if (error === null || typeof error !== 'object') return String(error);
  const { statusCode, code, message } = error as { statusCode?: number; code?: string; message?: string };
  return [statusCode, code, message].filter((part) => part !== undefined && part !== '').join(' ');
}
