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
import { invalidRequest, TollgateError } from '../errors.js';
import type { GroupCommitter } from '../ledger/group-commit.js';
import type {
  ApiKeyRecord,
  Counters,
  Customer,
  KeyLimits,
  RateWindow,
  UsageDebit,
  UsageEvent,
  UsageOutcome,
  WindowKey,
  WindowUsage,
} from '../ports.js';
import { CustomerWindows } from './customer-windows.js';
import { buildDecision, type GateDecision, type Refusal } from './gate-decision.js';
import { deny, denyWindow, markDenied, rateRefusal, storageRefusal, type Times } from './gate-denials.js';
import { applyRateCounts, applyWindowUsage, openFigures } from './gate-figures.js';
import { replayOf, takeBack, undoRate } from './gate-replays.js';
import { type GateRequest, requestCost, type UsageReport } from './gate-request.js';
import { addKeyWindows, checkKeyOf, keyRateRefusal } from './key-limits.js';
import { grantedWindows, windowDebits } from './operation-windows.js';
import type { UsageCache } from './usage-cache.js';
import { committedDecision, type DebitSource, usageDebit } from './usage-debit.js';

export type { GateRequest, UsageReport } from './gate-request.js';

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

interface Evaluation extends DebitSource {
  customer: Customer;
  windows: RateWindow[];
}

/** What every request of one customer (through one key) shares; a batch resolves it once. */
interface CustomerStanding {
  customer: Customer;
  access: AccountAccess;
  /** Credits used this period as last known (milli-credits). */
  used: number;
  windows: RateWindow[];
  /** The request's key when it has limits of its own (its rate windows are in `windows`). */
  limitedKey: { id: string; limits: KeyLimits } | undefined;
}

/** What a held concurrency slot's `release` frees. */
interface HeldSlot {
  counters: Counters;
  key: string;
  token: string;
  released: boolean;
}

const noRelease = (): void => {};
const ignore = (): void => {};

/** Frees the slot once, however many times it is called (bound to its slot per request). */
function releaseHeld(this: HeldSlot): void {
  if (this.released) return;
  this.released = true;
  void this.counters.releaseSlot(this.key, this.token).catch(ignore);
}

function conflictError(eventId: string): TollgateError {
  return new TollgateError('conflict', 'This idempotency key was used for a different request.', {
    event_id: eventId,
  });
}

export class Gate {
  private readonly customerWindows = new CustomerWindows();

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
      applyRateCounts(figures, windows, counts, 0);
      const window = windows[full];
      if (window && request.countRequest !== false) {
        figures.refusedKey = keyRateRefusal(window, evaluation.limitedKey);
        return deny(figures, 'rate_limited', times, rateRefusal(window), window);
      }
    }
    const storage = storageRefusal(evaluation.access.plan.limits, evaluation.customer, request.storage);
    if (storage) return deny(figures, 'storage_limit_exceeded', times, storage);
    const { operationWindows } = evaluation;
    if (operationWindows.length > 0 && request.operation !== undefined) {
      const operation = request.operation;
      const usage = await this.deps.loadWindowUsage(
        customerId,
        operationWindows.map(({ window, start }) => ({ operation, window, start })),
      );
      const used = usage.map((window) => window.used);
      applyWindowUsage(figures, operationWindows, used);
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
        return denyWindow(figures, denial, operation, quantity, times);
      }
    }
    const ceiling = raiseLimit(creditCeiling(access.plan), access.grants?.credits);
    if (ceiling !== null && figures.credits.used + evaluation.cost > ceiling) {
      return deny(figures, 'quota_exceeded', times);
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
        return deny(figures, 'quota_exceeded', times);
      }
    }
    return buildDecision(figures, times.rateNow);
  }

  async consume(customerId: string, request: GateRequest): Promise<GateDecision> {
    const { counters } = this.deps;
    const times = this.times();
    const { rateNow } = times;
    const evaluation = await this.evaluate(customerId, request, times);
    const { figures, windows, access, customer } = evaluation;
    if (figures.reason !== null) return buildDecision(figures, rateNow);

    const counted = request.countRequest !== false ? windows : [];
    if (counted.length > 0) {
      const result = await counters.hitRate(counted);
      applyRateCounts(figures, counted, result.counts, 0);
      if (!result.allowed) {
        // A retry of a request already recorded gets its first answer, even when the window is full now.
        const replay = await replayOf(this.deps.findUsageEvent, customer.id, request, figures, rateNow);
        const full = counted[result.deniedIndex ?? 0];
        if (replay) return replay;
        if (full) figures.refusedKey = keyRateRefusal(full, evaluation.limitedKey);
        return deny(figures, 'rate_limited', times, full ? rateRefusal(full) : null, full);
      }
    }

    let release = noRelease;
    const concurrent = access.plan.limits.concurrentRequests;
    if (request.holdSlot && concurrent !== null) {
      const slotKey = this.customerWindows.keysOf(customer.id).slot;
      const slot = await counters.acquireSlot(
        slotKey,
        concurrent,
        rateNow,
        rateNow + this.deps.slotTimeoutMs,
      );
      if (!slot.acquired || slot.token === undefined) {
        await undoRate(counters, counted, figures);
        const refusal: Refusal = { kind: 'concurrency', limit: concurrent };
        return deny(figures, 'concurrency_limited', times, refusal, undefined, 1);
      }
      // A bound function, not a closure: one allocation, no function created per request.
      release = releaseHeld.bind({ counters, key: slotKey, token: slot.token, released: false });
    }

    const storage = storageRefusal(evaluation.access.plan.limits, evaluation.customer, request.storage);
    if (storage) {
      await takeBack(counters, release, counted, figures);
      return deny(figures, 'storage_limit_exceeded', times, storage);
    }
    // A metered operation is recorded even when it costs no credits: it is counted ("0 = counted, not charged").
    if (request.operation === undefined && !request.idempotencyKey) {
      return buildDecision(figures, rateNow, release);
    }

    let outcome: Awaited<ReturnType<GroupCommitter['debit']>>;
    try {
      outcome = await this.deps.committer.debit(usageDebit(evaluation, request, request.keyId ?? null));
    } catch (error) {
      await takeBack(counters, release, counted, figures);
      throw error;
    }
    if (outcome.kind === 'conflict') {
      await takeBack(counters, release, counted, figures);
      throw conflictError(outcome.eventId);
    }
    this.deps.usage.remember(customer.id, access.period.start, outcome.used);
    // A denial counted nothing, and a replay was counted the first time: rate hits and slot go back.
    if (outcome.kind === 'denied' || outcome.replayed) await takeBack(counters, release, counted, figures);
    return committedDecision(evaluation, request, outcome, times, release);
  }

  /**
   * Records a usage report's events as one unit: the customer, its plan, contract, usage and key are
   * resolved once, every event is evaluated in order, and all the debits go to the group committer
   * together (one transaction). One answer per event, in order: its decision, exactly as `consume`
   * with `countRequest: false` would give it, or the TollgateError (`invalid_request`, `conflict`)
   * `consume` would throw for it. A fault (unknown customer or key, a failed commit) rejects the
   * whole report, nothing of it recorded.
   */
  async consumeBatch(
    customerId: string,
    reports: readonly UsageReport[],
    keyId?: string,
  ): Promise<Array<GateDecision | TollgateError>> {
    const times = this.times();
    const standing = await this.standing(customerId, keyId, times);
    const answers = new Array<GateDecision | TollgateError>(reports.length);
    const pending: Array<{ index: number; evaluation: Evaluation }> = [];
    const debits: UsageDebit[] = [];
    let refusedRate: number[] | undefined;
    for (let index = 0; index < reports.length; index++) {
      const report = reports[index] as UsageReport;
      let evaluation: Evaluation;
      try {
        evaluation = this.evaluateWith(standing, report, requestCost(this.deps.catalog, report), times);
      } catch (error) {
        if (!(error instanceof TollgateError)) throw error;
        answers[index] = error;
        continue;
      }
      if (evaluation.figures.reason !== null) {
        // Refused before any count (a suspended account): the windows as they stand, read once.
        if (standing.windows.length > 0) {
          refusedRate ??= await this.deps.counters.peekRate(standing.windows);
          applyRateCounts(evaluation.figures, standing.windows, refusedRate, 0);
        }
        answers[index] = buildDecision(evaluation.figures, times.rateNow);
        continue;
      }
      pending.push({ index, evaluation });
      debits.push(usageDebit(evaluation, report, keyId ?? null));
    }
    const outcomes = await this.deps.committer.debitMany(debits);
    const { customer, access } = standing;
    pending.forEach(({ index, evaluation }, position) => {
      const outcome = outcomes[position] as UsageOutcome;
      if (outcome.kind === 'conflict') {
        answers[index] = conflictError(outcome.eventId);
        return;
      }
      this.deps.usage.remember(customer.id, access.period.start, outcome.used);
      answers[index] = committedDecision(evaluation, reports[index] as UsageReport, outcome, times);
    });
    return answers;
  }

  private times(): Times {
    return { now: this.deps.clock.now(), rateNow: this.deps.rateClock.now() };
  }

  private async evaluate(customerId: string, request: GateRequest, times: Times): Promise<Evaluation> {
    const cost = requestCost(this.deps.catalog, request);
    const standing = await this.standing(customerId, request.keyId, times);
    const evaluation = this.evaluateWith(standing, request, cost, times);
    const { windows } = standing;
    if (evaluation.figures.reason !== null && windows.length > 0) {
      // Refused before the windows were counted: the headers still tell them as they stand, not full.
      applyRateCounts(evaluation.figures, windows, await this.deps.counters.peekRate(windows), 0);
    }
    return evaluation;
  }

  /** The customer, its access, usage, rate windows and key, as every request of it now shares them. */
  private async standing(
    customerId: string,
    keyId: string | undefined,
    times: Times,
  ): Promise<CustomerStanding> {
    const { now, rateNow } = times;
    // Both are usually cached: awaiting only real promises saves two microtask hops per request.
    const loaded = this.deps.loadCustomer(customerId, now);
    const customer = loaded instanceof Promise ? await loaded : loaded;
    const access = resolveAccess(customer, this.deps.catalog, now, this.deps.gracePeriodMs);
    const usage = this.deps.usage.get(customer.id, access.period.start);
    const used = typeof usage === 'number' ? usage : await usage;
    const windows = this.customerWindows.rateWindows(customer.id, access, rateNow);
    let limitedKey: Evaluation['limitedKey'];
    if (keyId !== undefined) {
      // A cached key (every authenticated one) is read synchronously: no promise, no microtask hop.
      const loaded = this.loadKey(keyId, now);
      const key = loaded instanceof Promise ? await loaded : loaded;
      checkKeyOf(key, customer.id);
      // A key without limits costs nothing more here: its id only travels with the debit.
      if (key.limits) {
        limitedKey = { id: key.id, limits: key.limits };
        addKeyWindows(windows, key.id, key.limits, rateNow);
      }
    }
    return { customer, access, used, windows, limitedKey };
  }

  /** One request's evaluation against its customer's standing (no I/O). */
  private evaluateWith(
    standing: CustomerStanding,
    request: GateRequest,
    cost: number,
    times: Times,
  ): Evaluation {
    const { customer, access, used, windows, limitedKey } = standing;
    const { now } = times;
    const plan = access.plan;
    const quantity = request.quantity ?? 1;
    const occurredAt = request.occurredAt ?? now;
    const operationWindows =
      request.operation === undefined
        ? []
        : grantedWindows(
            windowDebits(plan.limits.operations[request.operation], access.period, occurredAt),
            access.grants?.operations[request.operation],
          );
    const figures = openFigures(
      this.deps.catalog,
      customer.id,
      access,
      request.operation,
      quantity,
      cost,
      used,
      operationWindows,
      now,
    );
    applyRateCounts(figures, windows, [], 0);
    if (!access.serviceable) markDenied(figures, 'account_suspended');
    else if (request.feature !== undefined && !plan.features.includes(request.feature)) {
      markDenied(figures, 'feature_not_available', { kind: 'feature', feature: request.feature });
    }
    return {
      customerId: customer.id,
      customer,
      access,
      cost,
      figures,
      windows,
      operationWindows,
      occurredAt,
      limitedKey,
    };
  }

  private loadKey(keyId: string, now: number): ApiKeyRecord | Promise<ApiKeyRecord> {
    const loadKey = this.deps.loadKey;
    if (loadKey === undefined) throw invalidRequest([{ path: 'keyId', message: 'keys are not known here' }]);
    return loadKey(keyId, now);
  }
}
