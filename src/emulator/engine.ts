/**
 * The emulator's state and the services every resource uses: the object store, time, events and webhooks.
 *
 * Resources never talk to the HTTP layer; they read and change objects here and call `emit()`. Time has
 * one source per scope: a test clock's frozen time for objects on that clock, or the emulator's own time
 * (wall clock plus an adjustable offset) for everything else. Schedulers (billing) register what becomes
 * due when time moves, so advancing a clock runs renewals and retries in time order.
 */

import { Faults } from './faults.js';
import { randomToken } from './ids.js';
import { Store, type StoreSnapshot } from './store.js';
import type { ApiObject, Kind, Kinds, StripeEvent } from './types.js';
import { DEFAULT_WEBHOOK_RETRY, WebhookDispatcher, type WebhookRetryOptions } from './webhooks.js';

/** The API version the emulator speaks: the one the installed `stripe` SDK is generated from. */
export const API_VERSION = '2026-10-28.endive';

export type AfterFinalRetry = 'cancel' | 'unpaid' | 'past_due';

export interface EngineSettings {
  publicUrl: string;
  webhookSecret: string;
  webhookRetry: WebhookRetryOptions;
  /** Days after the first failed charge on which the invoice is retried (Smart Retries stand-in). */
  retryInvoicesSchedule: number[];
  /** What happens to a subscription when the last retry fails. */
  afterFinalRetry: AfterFinalRetry;
  /** Seconds to wait after a subscription invoice is created before finalizing it (Stripe: one hour). */
  invoiceFinalizeDelaySeconds: number;
  faultSeed: number;
  now?: () => number;
}

export const DEFAULT_SETTINGS: Omit<EngineSettings, 'publicUrl' | 'webhookSecret'> = {
  webhookRetry: DEFAULT_WEBHOOK_RETRY,
  retryInvoicesSchedule: [3, 5, 7],
  afterFinalRetry: 'cancel',
  invoiceFinalizeDelaySeconds: 3600,
  faultSeed: 1,
};

/** Something that acts when time passes (renewals, trial ends, retries). `scope` is a clock id or null. */
export interface Scheduler {
  nextDue(engine: Engine, scope: string | null): number | undefined;
  runDue(engine: Engine, scope: string | null, now: number): void;
}

export interface RequestContext {
  id: string;
  idempotencyKey: string | null;
}

export interface EngineSnapshot {
  version: 1;
  store: StoreSnapshot;
  timeOffset: number;
  sequences: Record<string, number>;
}

export class Engine {
  readonly store = new Store();
  readonly faults: Faults;
  readonly webhooks: WebhookDispatcher;
  /** Seconds added to the wall clock for objects outside test clocks (`POST /_emulator/time`). */
  timeOffset = 0;
  /** Counters for invoice numbers and the like. */
  sequences: Record<string, number> = {};
  private request: RequestContext | null = null;
  private realOverride: number | undefined;
  private readonly renderers = new Map<string, (object: ApiObject) => ApiObject>();
  private readonly virtuals = new Map<string, (object: ApiObject, field: string) => unknown>();
  private readonly schedulers: Scheduler[] = [];
  private pendingWork = 0;
  private dryRunDepth = 0;
  /** Called after deferred work changed state (persistence hooks in here). */
  onDeferredChange: (() => void) | undefined;

  constructor(readonly settings: EngineSettings) {
    this.faults = new Faults(settings.faultSeed);
    this.webhooks = new WebhookDispatcher(this.faults, settings.webhookRetry, (eventId) => {
      const event = this.store.get('event', eventId);
      if (event && event.pending_webhooks > 0) event.pending_webhooks -= 1;
    });
  }

  // ---- extension points --------------------------------------------------------------------------

  /** Builds the API view of stored objects of one kind (e.g. a subscription's live item list). */
  addRenderer(kind: string, render: (object: ApiObject) => ApiObject): void {
    this.renderers.set(kind, render);
  }

  /** Computes expandable fields that are not stored on the object. */
  addVirtualField(kind: string, compute: (object: ApiObject, field: string) => unknown): void {
    this.virtuals.set(kind, compute);
  }

  addScheduler(scheduler: Scheduler): void {
    this.schedulers.push(scheduler);
  }

  // ---- objects -----------------------------------------------------------------------------------

  /** The API view of an object: a deep copy, with computed parts filled in. */
  view<T>(object: T): T {
    const copy = structuredClone(object) as unknown as ApiObject;
    const render = this.renderers.get(copy.object);
    return (render ? render(copy) : copy) as unknown as T;
  }

  lookup(id: string): ApiObject | undefined {
    const object = this.store.getAny(id);
    return object === undefined ? undefined : this.view(object);
  }

  virtual(object: ApiObject, field: string): unknown {
    return this.virtuals.get(object.object)?.(object, field);
  }

  get<K extends Kind>(kind: K, id: string): Kinds[K] | undefined {
    return this.store.get(kind, id);
  }

  require<K extends Kind>(kind: K, id: string, param?: string): Kinds[K] {
    return this.store.require(kind, id, param);
  }

  nextSequence(name: string): number {
    const next = (this.sequences[name] ?? 0) + 1;
    this.sequences[name] = next;
    return next;
  }

  // ---- time --------------------------------------------------------------------------------------

  realNow(): number {
    if (this.realOverride !== undefined) return this.realOverride;
    const base = this.settings.now ? this.settings.now() : Math.floor(Date.now() / 1000);
    return base + this.timeOffset;
  }

  /** Current time for a scope: the test clock's frozen time, or emulator time when `clock` is null. */
  now(clock?: string | null): number {
    if (clock) {
      const testClock = this.store.get('test_helpers.test_clock', clock);
      if (testClock) return testClock.frozen_time;
    }
    return this.realNow();
  }

  /** The test clock an object lives on, via its own `test_clock` or its customer's. */
  clockOf(object: ApiObject | undefined): string | null {
    if (object === undefined) return null;
    if (typeof object.test_clock === 'string') return object.test_clock;
    if (object.object === 'customer') return null;
    const customerId = typeof object.customer === 'string' ? object.customer : undefined;
    if (customerId === undefined) return null;
    const customer = this.store.get('customer', customerId);
    return typeof customer?.test_clock === 'string' ? customer.test_clock : null;
  }

  nowFor(object: ApiObject | undefined): number {
    return this.now(this.clockOf(object));
  }

  /**
   * Moves a scope's time to `target`, running every scheduler at each due time on the way so that a
   * renewal on day 30 happens before the retry on day 33.
   */
  advanceScope(scope: string | null, target: number, setTime: (time: number) => void): void {
    for (let guard = 0; guard < 10_000; guard += 1) {
      let next: number | undefined;
      for (const scheduler of this.schedulers) {
        const due = scheduler.nextDue(this, scope);
        if (due !== undefined && (next === undefined || due < next)) next = due;
      }
      if (next === undefined || next > target) break;
      const at = Math.max(next, this.now(scope));
      setTime(at);
      for (const scheduler of this.schedulers) scheduler.runDue(this, scope, at);
    }
    setTime(Math.max(target, this.now(scope)));
  }

  /** Runs what is due for objects outside test clocks, catching up step by step. */
  runRealTime(): void {
    const target = this.realNow();
    try {
      this.advanceScope(null, target, (time) => {
        this.realOverride = time;
      });
    } finally {
      this.realOverride = undefined;
    }
  }

  /**
   * Runs work after the current response, as Stripe does for test clock advancement: the API answers
   * `advancing` and the clock becomes `ready` later.
   */
  defer(work: () => void): void {
    this.pendingWork += 1;
    setImmediate(() => {
      try {
        this.withRequest(null, work);
      } finally {
        this.pendingWork -= 1;
        this.onDeferredChange?.();
      }
    });
  }

  hasDeferredWork(): boolean {
    return this.pendingWork > 0;
  }

  // ---- events ------------------------------------------------------------------------------------

  /** Runs `work` with the request whose id and idempotency key events should carry. */
  withRequest<T>(context: RequestContext | null, work: () => T): T {
    const previous = this.request;
    this.request = context;
    try {
      return work();
    } finally {
      this.request = previous;
    }
  }

  emit(type: string, object: ApiObject, previousAttributes?: Record<string, unknown>): StripeEvent {
    const targets = this.webhookTargets(type);
    const event: StripeEvent = {
      id: `evt_${randomToken(24)}`,
      object: 'event',
      api_version: API_VERSION,
      created: this.nowFor(object),
      data: {
        object: this.view(object),
        ...(previousAttributes === undefined
          ? {}
          : { previous_attributes: structuredClone(previousAttributes) }),
      },
      livemode: false,
      pending_webhooks: targets.length,
      request: { id: this.request?.id ?? null, idempotency_key: this.request?.idempotencyKey ?? null },
      type,
    };
    this.store.insert<'event'>(event);
    if (!this.previewing) this.webhooks.enqueue(event, targets);
    return event;
  }

  private webhookTargets(type: string): Array<{ id: string; url: string; secret: string }> {
    return this.store
      .all('webhook_endpoint')
      .filter((endpoint) => endpoint.status === 'enabled')
      .filter((endpoint) => endpoint.enabled_events.includes('*') || endpoint.enabled_events.includes(type))
      .map((endpoint) => ({
        id: endpoint.id,
        url: endpoint.url,
        secret: String(this.store.note(endpoint.id).secret ?? this.settings.webhookSecret),
      }));
  }

  // ---- previews ----------------------------------------------------------------------------------

  /** True inside `dryRun`: invoices stay drafts (nothing is charged) and no webhook is sent. */
  get previewing(): boolean {
    return this.dryRunDepth > 0;
  }

  /**
   * Runs `work` on the current state, then puts the state back as it was: no object, event, number or
   * webhook it made survives. A preview runs the real update this way, so it shows exactly what the
   * update would bill.
   */
  dryRun<T>(work: () => T): T {
    const saved = structuredClone(this.snapshot());
    this.dryRunDepth += 1;
    try {
      return work();
    } finally {
      this.dryRunDepth -= 1;
      this.restore(saved);
    }
  }

  // ---- persistence -------------------------------------------------------------------------------

  snapshot(): EngineSnapshot {
    return {
      version: 1,
      store: this.store.snapshot(),
      timeOffset: this.timeOffset,
      sequences: this.sequences,
    };
  }

  restore(snapshot: EngineSnapshot): void {
    this.store.restore(snapshot.store);
    this.timeOffset = snapshot.timeOffset;
    this.sequences = { ...snapshot.sequences };
  }

  reset(): void {
    this.store.clear();
    this.faults.clear();
    this.webhooks.clear();
    this.timeOffset = 0;
    this.sequences = {};
  }
}

/** Previous values of the fields that differ, for an event's `data.previous_attributes`. */
export function changedFields(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
): Record<string, unknown> {
  const previous: Record<string, unknown> = {};
  for (const key of Object.keys(after)) {
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) previous[key] = before[key] ?? null;
  }
  return previous;
}
