/**
 * The gate: for (customer, operation, quantity) decide whether a request may run, in the order the
 * design fixes: account status, feature, rate per minute and day, concurrency, storage, operation
 * limits, credits.
 * `consume` counts what it admits (a rate hit, a concurrency slot, a durable usage event); a request
 * it denies records nothing, so earlier counts are taken back when a later check denies.
 */
import { type AccountAccess, resolveAccess } from '../account.js';
import { type Catalog, creditCeiling } from '../catalog/catalog.js';
import type { Clock } from '../clock.js';
import { raiseLimit } from '../contract/grants.js';
import { multiplyCost } from '../credits.js';
import { invalidRequest, TollgateError } from '../errors.js';
import type { GroupCommitter } from '../ledger/group-commit.js';
import { DAY_MS, MINUTE_MS, windowStart } from '../periods.js';
import type {
  ApiKeyRecord,
  Counters,
  Customer,
  KeyLimits,
  RateWindow,
  UsageEvent,
  WindowDebit,
  WindowDenial,
  WindowKey,
  WindowUsage,
} from '../ports.js';
import { canonicalMetadata, type EventMetadata, metadataIssues } from './event-metadata.js';
import {
  buildDecision,
  type DecisionFigures,
  type DenyReason,
  type GateDecision,
  type OperationWindowFigures,
  type Refusal,
  secondsUntil,
} from './gate-decision.js';
import { addKeyWindows, checkKeyOf, isKeyWindow, keyRateRefusal } from './key-limits.js';
import { grantedWindows, windowBounds, windowDebits } from './operation-windows.js';
import type { UsageCache } from './usage-cache.js';

export interface GateRequest {
  /** Metered operation from the catalog; its credit cost x quantity is debited. */
  operation?: string;
  /** Units of the operation (a positive integer); default 1. */
  quantity?: number;
  /** A feature the plan must include. */
  feature?: string;
  /** Storage this request adds; refused with 507 when it would pass the plan's limit. */
  storage?: { bytes?: number; items?: number };
  /** A retry with the same key is not counted twice and gets the first answer. */
  idempotencyKey?: string | null;
  /** When the usage happened (epoch ms); default now. Part of the idempotency fingerprint when given. */
  occurredAt?: number;
  /**
   * Strings stored with the usage event and returned where events are listed, e.g. `{ model: 'gpt-4o' }`:
   * at most 16 keys matching `^[a-z][a-z0-9_.-]{0,39}$`, values up to 200 characters. Part of the
   * idempotency fingerprint.
   */
  metadata?: EventMetadata;
  /** Hold a concurrency slot until `release()`: middleware does, a usage report does not. Default false. */
  holdSlot?: boolean;
  /** Count this request against the per-minute and per-day limits. Default true. */
  countRequest?: boolean;
  /**
   * Hold the usage under this reservation instead of recording it (see `Tollgate.reserve`); the
   * decision's `eventId` is then the reservation's id. `idempotencyKey` is not used with it (the id is).
   */
  reservation?: { id: string; expiresAt: number };
  /**
   * The customer's API key the request came through: its usage is recorded with it, and the key's own
   * limits (if any) must hold as well as the customer's (docs/decisions/015).
   */
  keyId?: string;
}

export interface GateDependencies {
  catalog: Catalog;
  counters: Counters;
  committer: GroupCommitter;
  usage: UsageCache;
  /** Billing time: credit periods, trials, grace (follows a Stripe test clock when one is set). */
  clock: Clock;
  /**
   * Wall time for rate windows and concurrency slots: they protect real capacity, so they keep moving
   * even while a Stripe test clock holds billing time still.
   */
  rateClock: Clock;
  /** The event recorded under an idempotency key, for replays refused by a limit before the store. */
  findUsageEvent: (customerId: string, idempotencyKey: string) => Promise<UsageEvent | undefined>;
  /** Operation window counters as stored (for `check`; `consume` learns them from its commit). */
  loadWindowUsage: (customerId: string, windows: readonly WindowKey[]) => Promise<WindowUsage[]>;
  /**
   * A key by id, synchronously when cached (an authenticated key always is); rejects with not_found
   * for an unknown key. Absent: requests naming a key are refused as invalid.
   */
  loadKey?: (keyId: string, now: number) => ApiKeyRecord | Promise<ApiKeyRecord>;
  /** Milli-credits a key's events cost in a period (for `check` on a key with a credit limit). */
  loadKeyCredits?: (customerId: string, keyId: string, periodStart: number) => Promise<number>;
  /** The customer, synchronously when cached. */
  loadCustomer: (customerId: string, now: number) => Customer | Promise<Customer>;
  gracePeriodMs: number;
  /** Longest a concurrency slot is held if a request never releases it. */
  slotTimeoutMs: number;
}

/** What makes two requests with one idempotency key the same request (the stored `requestHash`). */
function requestFingerprint(request: GateRequest): string {
  const fingerprint = `${request.operation ?? ''}:${request.quantity ?? 1}:${request.occurredAt ?? ''}`;
  // Appended only when present, so events recorded before metadata existed keep their fingerprint.
  const metadata = canonicalMetadata(request.metadata);
  return metadata === null ? fingerprint : `${fingerprint}:${metadata}`;
}

/** Billing time and wall time of one decision, read once. */
interface Times {
  now: number;
  rateNow: number;
}

interface Evaluation {
  customer: Customer;
  access: AccountAccess;
  cost: number;
  figures: DecisionFigures;
  windows: RateWindow[];
  /** The operation's limited windows this request would count in. */
  operationWindows: readonly WindowDebit[];
  occurredAt: number;
  /** The request's key when it has limits of its own (its rate windows are in `windows`). */
  limitedKey: { id: string; limits: KeyLimits } | undefined;
}

interface CounterKeys {
  minute: string;
  day: string;
  slot: string;
}

export class Gate {
  private readonly keys = new Map<string, CounterKeys>();

  constructor(private readonly deps: GateDependencies) {}

  /** Would this request be allowed now? Counts and debits nothing. */
  async check(customerId: string, request: GateRequest): Promise<GateDecision> {
    const times = this.times();
    const evaluation = await this.evaluate(customerId, request, times);
    const { figures, windows, access } = evaluation;
    if (figures.reason !== null) return buildDecision(figures, times.rateNow);

    if (windows.length > 0) {
      const counts = await this.deps.counters.peekRate(windows);
      const full = windows.findIndex((window, index) => (counts[index] ?? 0) >= window.limit);
      this.applyRateCounts(figures, windows, counts, 0);
      const window = windows[full];
      if (window && request.countRequest !== false) {
        figures.refusedKey = keyRateRefusal(window, evaluation.limitedKey);
        return this.deny(figures, 'rate_limited', times, rateRefusal(window), window);
      }
    }
    const storage = this.storageRefusal(evaluation, request);
    if (storage) return this.deny(figures, 'storage_limit_exceeded', times, storage);
    const { operationWindows } = evaluation;
    if (operationWindows.length > 0 && request.operation !== undefined) {
      const operation = request.operation;
      const usage = await this.deps.loadWindowUsage(
        customerId,
        operationWindows.map(({ window, start }) => ({ operation, window, start })),
      );
      const used = usage.map((window) => window.used);
      this.applyWindowUsage(figures, operationWindows, used);
      const quantity = request.quantity ?? 1;
      const full = operationWindows.findIndex(
        (window, index) => window.limit !== null && (used[index] ?? 0) + quantity > window.limit,
      );
      const refused = operationWindows[full];
      if (refused !== undefined) {
        const denial = {
          window: refused.window,
          limit: refused.included ?? refused.limit ?? 0,
          used: used[full] ?? 0,
        };
        return this.denyWindow(figures, denial, operation, quantity, times);
      }
    }
    const ceiling = raiseLimit(creditCeiling(access.plan), access.grants?.credits);
    if (ceiling !== null && figures.credits.used + evaluation.cost > ceiling) {
      return this.deny(figures, 'quota_exceeded', times);
    }
    const keyCredits = evaluation.limitedKey?.limits.credits ?? null;
    if (keyCredits !== null && evaluation.limitedKey !== undefined && this.deps.loadKeyCredits) {
      const keyId = evaluation.limitedKey.id;
      const keyUsed = await this.deps.loadKeyCredits(customerId, keyId, access.period.start);
      if (keyUsed + evaluation.cost > keyCredits) {
        figures.refusedKey = {
          keyId,
          kind: 'credits',
          limit: keyCredits,
          used: keyUsed,
          requested: evaluation.cost,
        };
        return this.deny(figures, 'quota_exceeded', times);
      }
    }
    return buildDecision(figures, times.rateNow);
  }

  async consume(customerId: string, request: GateRequest): Promise<GateDecision> {
    const { counters } = this.deps;
    const times = this.times();
    const { rateNow } = times;
    const evaluation = await this.evaluate(customerId, request, times);
    const { figures, windows, access, customer, cost } = evaluation;
    if (figures.reason !== null) return buildDecision(figures, rateNow);

    const counted = request.countRequest !== false ? windows : [];
    if (counted.length > 0) {
      const result = await counters.hitRate(counted);
      this.applyRateCounts(figures, counted, result.counts, 0);
      if (!result.allowed) {
        // A retry of a request already recorded gets its first answer, even when the window is full now.
        const replay = await this.replayOf(customer.id, request, figures, rateNow);
        const full = counted[result.deniedIndex ?? 0];
        if (replay) return replay;
        if (full) figures.refusedKey = keyRateRefusal(full, evaluation.limitedKey);
        return this.deny(figures, 'rate_limited', times, full ? rateRefusal(full) : null, full);
      }
    }

    let release = (): void => {};
    const concurrent = access.plan.limits.concurrentRequests;
    if (request.holdSlot && concurrent !== null) {
      const slotKey = this.keysOf(customer.id).slot;
      const slot = await counters.acquireSlot(
        slotKey,
        concurrent,
        rateNow,
        rateNow + this.deps.slotTimeoutMs,
      );
      if (!slot.acquired || slot.token === undefined) {
        await this.undoRate(counted, figures);
        const refusal: Refusal = { kind: 'concurrency', limit: concurrent };
        return this.deny(figures, 'concurrency_limited', times, refusal, undefined, 1);
      }
      const token = slot.token;
      let released = false;
      release = () => {
        if (released) return;
        released = true;
        void counters.releaseSlot(slotKey, token).catch(() => {});
      };
    }

    const storage = this.storageRefusal(evaluation, request);
    if (storage) {
      await this.takeBack(release, counted, figures);
      return this.deny(figures, 'storage_limit_exceeded', times, storage);
    }
    // A metered operation is recorded even when it costs no credits: it is counted ("0 = counted, not charged").
    if (request.operation === undefined && !request.idempotencyKey) {
      return buildDecision(figures, rateNow, release);
    }

    const operation = request.operation ?? '';
    const quantity = request.quantity ?? 1;
    const { occurredAt, operationWindows, limitedKey } = evaluation;
    const keyLimit = limitedKey?.limits.credits ?? null;
    let outcome: Awaited<ReturnType<GroupCommitter['debit']>>;
    try {
      outcome = await this.deps.committer.debit({
        customerId: customer.id,
        periodStart: access.period.start,
        operation,
        quantity,
        cost,
        // Grants raise both by what is left of them, so granted credits are admitted and never billed.
        limit: raiseLimit(creditCeiling(access.plan), access.grants?.credits),
        included: figures.credits.effectiveLimit,
        idempotencyKey: request.idempotencyKey ?? null,
        requestHash: request.idempotencyKey ? requestFingerprint(request) : null,
        occurredAt,
        metadata: request.metadata ?? null,
        windows: operationWindows,
        ...(request.reservation && {
          reservation: { action: 'reserve', ...request.reservation },
        }),
        keyId: request.keyId ?? null,
        ...(keyLimit !== null && { keyLimit }),
      });
    } catch (error) {
      await this.takeBack(release, counted, figures);
      throw error;
    }
    if (outcome.kind === 'conflict') {
      await this.takeBack(release, counted, figures);
      throw new TollgateError('conflict', 'This idempotency key was used for a different request.', {
        event_id: outcome.eventId,
      });
    }
    this.deps.usage.remember(customer.id, access.period.start, outcome.used);
    this.setUsed(figures, outcome.used);
    if (outcome.kind === 'denied') {
      await this.takeBack(release, counted, figures);
      if (outcome.window !== undefined)
        return this.denyWindow(figures, outcome.window, operation, quantity, times);
      if (outcome.key !== undefined) {
        const { id, limit, used } = outcome.key;
        figures.refusedKey = { keyId: id, kind: 'credits', limit, used, requested: cost };
      }
      return this.deny(figures, 'quota_exceeded', times);
    }
    if (outcome.windows !== undefined) this.applyWindowUsage(figures, operationWindows, outcome.windows);
    // A replay was counted the first time: its rate hits and slot are given back now.
    if (outcome.replayed) await this.takeBack(release, counted, figures);
    figures.eventId = outcome.eventId;
    figures.replayed = outcome.replayed;
    return buildDecision(figures, rateNow, release);
  }

  /**
   * The first answer for a request whose idempotency key was already recorded (checked only where a
   * limit would refuse the retry before it reaches the store, which answers replays itself).
   */
  private async replayOf(
    customerId: string,
    request: GateRequest,
    figures: DecisionFigures,
    rateNow: number,
  ): Promise<GateDecision | undefined> {
    if (!request.idempotencyKey) return undefined;
    const event = await this.deps.findUsageEvent(customerId, request.idempotencyKey);
    if (!event) return undefined;
    if (event.requestHash !== requestFingerprint(request)) {
      throw new TollgateError('conflict', 'This idempotency key was used for a different request.', {
        event_id: event.id,
      });
    }
    this.setUsed(figures, event.usedAfter);
    figures.eventId = event.id;
    figures.replayed = true;
    return buildDecision(figures, rateNow);
  }

  /** Undoes what a request counted before a later step refused it (or found it a replay). */
  private async takeBack(
    release: () => void,
    counted: RateWindow[],
    figures: DecisionFigures,
  ): Promise<void> {
    release();
    await this.undoRate(counted, figures);
  }

  private times(): Times {
    return { now: this.deps.clock.now(), rateNow: this.deps.rateClock.now() };
  }

  private async evaluate(customerId: string, request: GateRequest, times: Times): Promise<Evaluation> {
    const { now, rateNow } = times;
    const { catalog } = this.deps;
    const quantity = request.quantity ?? 1;
    if (!Number.isSafeInteger(quantity) || quantity < 1) {
      throw invalidRequest([{ path: 'quantity', message: 'expected a positive integer' }]);
    }
    if (request.metadata !== undefined) {
      const issues = metadataIssues(request.metadata);
      if (issues.length > 0) throw invalidRequest(issues);
    }
    let unitCost = 0;
    if (request.operation !== undefined) {
      const operation = catalog.operations[request.operation];
      if (!operation)
        throw invalidRequest([{ path: 'operation', message: `unknown operation '${request.operation}'` }]);
      unitCost = operation.cost;
    }
    let cost: number;
    try {
      cost = multiplyCost(unitCost, quantity);
    } catch {
      throw invalidRequest([{ path: 'quantity', message: 'the quantity is too large' }]);
    }

    // Both are usually cached: awaiting only real promises saves two microtask hops per request.
    const loaded = this.deps.loadCustomer(customerId, now);
    const customer = loaded instanceof Promise ? await loaded : loaded;
    const access = resolveAccess(customer, catalog, now, this.deps.gracePeriodMs);
    const plan = access.plan;
    const usage = this.deps.usage.get(customer.id, access.period.start);
    const used = typeof usage === 'number' ? usage : await usage;
    const windows = this.rateWindows(customer.id, access, rateNow);
    let limitedKey: Evaluation['limitedKey'];
    if (request.keyId !== undefined) {
      // A cached key (every authenticated one) is read synchronously: no promise, no microtask hop.
      const loaded = this.loadKey(request.keyId, now);
      const key = loaded instanceof Promise ? await loaded : loaded;
      checkKeyOf(key, customer.id);
      // A key without limits costs nothing more here: its id only travels with the debit.
      if (key.limits) {
        limitedKey = { id: key.id, limits: key.limits };
        addKeyWindows(windows, key.id, key.limits, rateNow);
      }
    }
    const occurredAt = request.occurredAt ?? now;
    const operationWindows =
      request.operation === undefined
        ? []
        : grantedWindows(
            windowDebits(plan.limits.operations[request.operation], access.period, occurredAt),
            access.grants?.operations[request.operation],
          );
    const figures: DecisionFigures = {
      allowed: true,
      reason: null,
      customerId: customer.id,
      plan: plan.id,
      credits: {
        cost,
        used,
        limit: plan.limits.credits,
        effectiveLimit: raiseLimit(plan.limits.credits, access.grants?.credits),
        remaining: null,
        resetAt: access.period.end,
      },
      rate: { minute: null, day: null },
      refusal: null,
      operation:
        request.operation === undefined
          ? null
          : {
              id: request.operation,
              quantity,
              windows: operationWindows.map((window) => this.windowFigures(window, access, now)),
            },
      refusedWindow: null,
      refusedKey: null,
      retryAfterSeconds: null,
      upgradeUrl: catalog.upgradeUrl,
      eventId: null,
      replayed: false,
      contract: access.overrides,
    };
    this.setUsed(figures, used);
    this.applyRateCounts(figures, windows, [], 0);
    if (!access.serviceable) this.markDenied(figures, 'account_suspended');
    else if (request.feature !== undefined && !plan.features.includes(request.feature)) {
      this.markDenied(figures, 'feature_not_available', { kind: 'feature', feature: request.feature });
    }
    if (figures.reason !== null && windows.length > 0) {
      // Refused before the windows were counted: the headers still tell them as they stand, not full.
      this.applyRateCounts(figures, windows, await this.deps.counters.peekRate(windows), 0);
    }
    return { customer, access, cost, figures, windows, operationWindows, occurredAt, limitedKey };
  }

  private loadKey(keyId: string, now: number): ApiKeyRecord | Promise<ApiKeyRecord> {
    const loadKey = this.deps.loadKey;
    if (loadKey === undefined) throw invalidRequest([{ path: 'keyId', message: 'keys are not known here' }]);
    return loadKey(keyId, now);
  }

  /** A limited window of the request's operation, its count not read yet. */
  private windowFigures(window: WindowDebit, access: AccountAccess, now: number): OperationWindowFigures {
    const bounds = windowBounds(window.window, window.start, access.period);
    return {
      window: window.window,
      limit: window.included ?? window.limit ?? 0,
      used: null,
      remaining: null,
      resetAt: bounds.end,
      resetIn: secondsUntil(bounds.end, now),
      seconds: Math.round((bounds.end - bounds.start) / 1000),
    };
  }

  /** Fills the operation windows' counts (in `windowDebits` order). */
  private applyWindowUsage(
    figures: DecisionFigures,
    debits: readonly WindowDebit[],
    used: readonly number[],
  ): void {
    const windows = figures.operation?.windows ?? [];
    debits.forEach((_, index) => {
      const figure = windows[index];
      const count = used[index];
      if (figure === undefined || count === undefined) return;
      figure.used = count;
      figure.remaining = Math.max(0, figure.limit - count);
    });
  }

  /** Refused by an operation limit: `quota_exceeded` naming the window, retry when it resets. */
  private denyWindow(
    figures: DecisionFigures,
    denial: WindowDenial,
    operation: string,
    requested: number,
    times: Times,
  ): GateDecision {
    figures.refusedWindow = { operation, ...denial, requested };
    const figure = figures.operation?.windows.find((window) => window.window === denial.window);
    if (figure !== undefined) {
      figure.used = denial.used;
      figure.remaining = Math.max(0, figure.limit - denial.used);
    }
    const resetIn = figure?.resetIn ?? secondsUntil(figures.credits.resetAt, times.now);
    return this.deny(figures, 'quota_exceeded', times, null, undefined, Math.max(1, resetIn));
  }

  /**
   * The counter keys of a customer, built once: string building and hashing a fresh key per request
   * showed in the profile. Bounded: cleared when it grows past 100,000 customers.
   */
  private keysOf(customerId: string): CounterKeys {
    let keys = this.keys.get(customerId);
    if (keys === undefined) {
      if (this.keys.size >= 100_000) this.keys.clear();
      keys = {
        minute: `rate:${customerId}:minute`,
        day: `rate:${customerId}:day`,
        slot: `slot:${customerId}`,
      };
      this.keys.set(customerId, keys);
    }
    return keys;
  }

  private rateWindows(customerId: string, access: AccountAccess, now: number): RateWindow[] {
    const windows: RateWindow[] = [];
    const { requestsPerMinute, requestsPerDay } = access.plan.limits;
    if (requestsPerMinute !== null) {
      windows.push({
        key: this.keysOf(customerId).minute,
        limit: requestsPerMinute,
        windowStart: windowStart(now, MINUTE_MS),
        windowMs: MINUTE_MS,
      });
    }
    if (requestsPerDay !== null) {
      windows.push({
        key: this.keysOf(customerId).day,
        limit: requestsPerDay,
        windowStart: windowStart(now, DAY_MS),
        windowMs: DAY_MS,
      });
    }
    return windows;
  }

  private applyRateCounts(
    figures: DecisionFigures,
    windows: RateWindow[],
    counts: number[],
    fallback: number,
  ): void {
    windows.forEach((window, index) => {
      // The headers show the customer's windows; a key's own show in its refusal and its usage.
      if (isKeyWindow(window)) return;
      const figure = {
        limit: window.limit,
        remaining: Math.max(0, window.limit - (counts[index] ?? fallback)),
        resetAt: window.windowStart + window.windowMs,
      };
      if (window.windowMs === MINUTE_MS) figures.rate.minute = figure;
      else figures.rate.day = figure;
    });
  }

  /** The storage refusal when the storage this request adds would pass a limit; null otherwise. */
  private storageRefusal(evaluation: Evaluation, request: GateRequest): Refusal | null {
    if (!request.storage) return null;
    const { storageBytes, storageItems } = evaluation.access.plan.limits;
    const { customer } = evaluation;
    const bytes = request.storage.bytes ?? 0;
    const items = request.storage.items ?? 0;
    const exceeded =
      (storageBytes !== null && customer.storageBytes + bytes > storageBytes) ||
      (storageItems !== null && customer.storageItems + items > storageItems);
    if (!exceeded) return null;
    return {
      kind: 'storage',
      current: { bytes: customer.storageBytes, items: customer.storageItems },
      requested: { bytes, items },
      limits: { bytes: storageBytes, items: storageItems },
    };
  }

  private setUsed(figures: DecisionFigures, used: number): void {
    const limit = figures.credits.effectiveLimit;
    figures.credits = {
      ...figures.credits,
      used,
      remaining: limit === null ? null : Math.max(0, limit - used),
    };
  }

  private markDenied(figures: DecisionFigures, reason: DenyReason, refusal: Refusal | null = null): void {
    figures.allowed = false;
    figures.reason = reason;
    figures.refusal = refusal;
  }

  private deny(
    figures: DecisionFigures,
    reason: DenyReason,
    times: Times,
    refusal: Refusal | null = null,
    window?: RateWindow,
    retryAfterSeconds?: number,
  ): GateDecision {
    const { now, rateNow } = times;
    this.markDenied(figures, reason, refusal);
    if (window) {
      figures.retryAfterSeconds = Math.max(1, secondsUntil(window.windowStart + window.windowMs, rateNow));
    } else if (retryAfterSeconds !== undefined) figures.retryAfterSeconds = retryAfterSeconds;
    else if (reason === 'quota_exceeded') {
      figures.retryAfterSeconds = Math.max(1, secondsUntil(figures.credits.resetAt, now));
    }
    return buildDecision(figures, rateNow);
  }

  /** Takes back this request's rate hits, and shows the windows as they are after it. */
  private async undoRate(windows: RateWindow[], figures: DecisionFigures): Promise<void> {
    if (windows.length === 0) return;
    await this.deps.counters.undoRate(windows);
    for (const figure of [figures.rate.minute, figures.rate.day]) {
      if (figure) figure.remaining = Math.min(figure.limit, figure.remaining + 1);
    }
  }
}

/** A refused request window as the error body names it. */
function rateRefusal(window: RateWindow): Refusal {
  return { kind: 'rate', window: window.windowMs === MINUTE_MS ? 'minute' : 'day', limit: window.limit };
}
