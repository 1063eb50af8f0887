/**
 * The engine, wired: `createTollgate({ catalog, store, counters })` gives the gate, API keys and
 * customer operations that the HTTP service, the middleware and the CLI share. Everything is passed
 * in (store, counters, clock), so tests run it on real databases with a fake clock.
 */
import { type AccountAccess, resolveAccess } from './account.js';
import { ApiKeyResolver, type IssuedKey } from './api-keys.js';
import { type Catalog, findPlan } from './catalog/catalog.js';
import { type Clock, systemClock } from './clock.js';
import { createGrantActions, type GrantActions } from './contract/customer-grants.js';
import { createOverrideActions, type OverrideActions } from './contract/customer-overrides.js';
import { createCustomerCache } from './customer-cache.js';
import { invalidRequest, TollgateError } from './errors.js';
import { Gate, type GateRequest, type UsageReport } from './gate/gate.js';
import type { GateDecision } from './gate/gate-decision.js';
import { type OperationStanding, operationStandings, standingKeys } from './gate/operation-windows.js';
import { UsageCache } from './gate/usage-cache.js';
import { newId } from './ids.js';
import { createKeyActions } from './key-actions.js';
import { GroupCommitter } from './ledger/group-commit.js';
import type {
  ApiKeyRecord,
  Counters,
  Customer,
  CustomerPatch,
  KeyUsage,
  PeriodUsage,
  Store,
} from './ports.js';
import { createReservations, type Reservations } from './reservations.js';
import type { KeyChange } from './team-keys.js';

/** Prefix of the customer ids Tollgate makes. */
export const CUSTOMER_ID_PREFIX = 'tgcus';
export interface TollgateOptions {
  catalog: Catalog;
  store: Store;
  counters: Counters;
  /** Billing time (periods, trials, grace); default the system clock. */
  clock?: Clock;
  /**
   * Time for rate windows and concurrency slots; default the billing clock. Give the system clock
   * when the billing clock follows a Stripe test clock, so rate limits keep resetting in real time.
   */
  rateClock?: Clock;
  /** A configured admin key (TOLLGATE_ADMIN_KEY), accepted besides stored admin keys. */
  adminKey?: string | null;
  /** Access kept after a failed payment; default 3 days. */
  gracePeriodMs?: number;
  /** Longest a concurrency slot is held if never released; default 60 s. */
  slotTimeoutMs?: number;
  /** How long a customer record is trusted before it is read again; default 1 s. */
  customerTtlMs?: number;
  /**
   * How long a cached customer is trusted past `customerTtlMs` while the store vouches that no change
   * went unheard (SQLite: no other process wrote; PostgreSQL: the change feed stayed connected), and
   * never past the end of its credit period; default 30 s, 0 = never.
   */
  customerQuietTtlMs?: number;
  /** Commits written at once: 1 for SQLite, a few for PostgreSQL. */
  commitConcurrency?: number;
  keyCacheTtlMs?: number;
  /** Told every decision `consume` and `consumeBatch` return (metrics); must not throw. See `observeDecisions`. */
  onDecision?: DecisionListener;
}

/** Observes decisions after the gate made them; it cannot change them. */
export type DecisionListener = (decision: GateDecision) => void;

export type Principal =
  | { kind: 'admin'; keyId: string | null }
  | { kind: 'customer'; customerId: string; keyId: string };

export interface NewCustomerInput {
  externalId?: string | null;
  email?: string | null;
  name?: string | null;
  plan?: string;
  metadata?: Record<string, string>;
}

export interface Tollgate {
  readonly catalog: Catalog;
  readonly store: Store;
  readonly counters: Counters;
  readonly clock: Clock;
  /**
   * Wall time for what must not follow a Stripe test clock (rate windows, concurrency slots, the
   * lifetimes of billing links and sessions); the same as `clock` unless the runtime sets it apart.
   */
  readonly rateClock: Clock;
  /** How long a past_due account keeps access after a failed payment. */
  readonly gracePeriodMs: number;
  /** The customer or admin a key belongs to, or undefined for an unknown or revoked key. */
  authenticate(key: string): Promise<Principal | undefined>;
  check(customerId: string, request: GateRequest): Promise<GateDecision>;
  consume(customerId: string, request: GateRequest): Promise<GateDecision>;
  /**
   * Records a batch of usage events (a usage report, a backfill) in one decision pass and one
   * transaction: one answer per event, in order, each what `consume` with `countRequest: false` would
   * have answered (a decision), or the error it would have thrown (`invalid_request`, `conflict`) as a
   * value. Batched events do not count against the request-rate limits. A fault (unknown customer or
   * key, a failed commit) rejects the whole batch, nothing of it recorded.
   * @example
   * const answers = await tollgate.consumeBatch(customerId, [
   *   { operation: 'search', idempotencyKey: 'evt-1' },
   *   { operation: 'capture', quantity: 3, idempotencyKey: 'evt-2' },
   * ]);
   * const recorded = answers.filter((answer) => !(answer instanceof TollgateError) && answer.allowed);
   */
  consumeBatch(
    customerId: string,
    events: readonly UsageReport[],
    options?: { keyId?: string },
  ): Promise<Array<GateDecision | TollgateError>>;
  /**
   * Calls `listener` with every decision `consume` and `consumeBatch` return, until the returned
   * function is called.
   */
  observeDecisions(listener: DecisionListener): () => void;
  createCustomer(input: NewCustomerInput): Promise<Customer>;
  getCustomer(customerId: string): Promise<Customer>;
  updateCustomer(customerId: string, patch: Omit<CustomerPatch, 'updatedAt'>): Promise<Customer>;
  access(customer: Customer): AccountAccess;
  usage(customerId: string): Promise<PeriodUsage & { access: AccountAccess }>;
  /**
   * Every operation of the catalog with its `month` window (the credit period) and the other windows
   * the customer's plan limits, as they stand now (pending commits included).
   */
  operationUsage(customerId: string): Promise<Record<string, OperationStanding>>;
  /** Reports the customer's current storage (absolute figures). */
  setStorage(customerId: string, storage: { bytes: number; items: number }): Promise<Customer>;
  /** Issues a key; a customer's key may carry an owner and its own limits (`team`, validated). */
  issueApiKey(customerId: string | null, name?: string | null, team?: KeyChange): Promise<IssuedKey>;
  /**
   * Changes a key's name, owner or limits (not_found for an unknown key, invalid_request for a bad
   * limit, nothing written then); returns the key before and after, once every instance's next request
   * obeys it (the key's customer goes on the change feed, as `invalidateCustomer`).
   */
  updateApiKey(keyId: string, change: KeyChange): Promise<{ before: ApiKeyRecord; after: ApiKeyRecord }>;
  /**
   * A customer's usage this credit period by key (`keyId` null: recorded without a key), pending
   * commits included, with the period it covers.
   */
  usageByKey(customerId: string): Promise<{ periodStart: number; periodEnd: number; keys: KeyUsage[] }>;
  /** A key by id (not_found when unknown), cached like authenticated keys. */
  getApiKey(keyId: string): Promise<ApiKeyRecord>;
  /** Revokes a key and returns it (not_found for an unknown key), once every instance refuses it. */
  revokeApiKey(keyId: string): Promise<ApiKeyRecord>;
  /** Holds the credits and operation units of work whose size is known only afterwards. */
  reserve: Reservations['reserve'];
  /** Records a reservation's actual usage (even past a limit) and frees the hold. */
  settle: Reservations['settle'];
  /** Frees a reservation's hold. */
  release: Reservations['release'];
  getReservation: Reservations['get'];
  /** The customer's overrides as stored (expired ones included), ordered by key. */
  listOverrides: OverrideActions['listOverrides'];
  /**
   * Sets overrides of the customer's limits or features (audited as `actor`, in one transaction with
   * the audit entry), then makes every instance's next request obey them (`invalidateCustomer`).
   */
  setOverrides: OverrideActions['setOverrides'];
  /** Removes some overrides (not_found for a key not set) or all of them; audited, then invalidated. */
  removeOverrides: OverrideActions['removeOverrides'];
  /**
   * Drops the cached customer (its contract and its keys) here and on every other instance sharing the store,
   * so the very next request anywhere reads it again. On PostgreSQL it resolves once the change
   * notice came back through the database (it reached every listening instance), or after the
   * customer cache time when that cannot be confirmed; on SQLite (one process) at once.
   */
  invalidateCustomer(customerId: string): Promise<void>;
  /**
   * Grants credits (milli-credits) or units of an operation, spent before the plan's quota: for the
   * current period or until used. Idempotent by `idempotencyKey` (a different grant with it: conflict).
   * @example
   * await tollgate.grant(customerId, { amount: 100_000_000, expires: 'until_used', idempotencyKey: 'deal-42' });
   */
  grant: GrantActions['grant'];
  /** Every grant of a customer with what is used and left now, oldest first. */
  grants: GrantActions['grants'];
  /** Takes back what is unspent of a grant. */
  revokeGrant: GrantActions['revokeGrant'];
  /** Waits for pending usage commits and writes batched key usage times. */
  flush(): Promise<void>;
  /** Flushes, then stops timers; does not close the store or counters it was given. */
  close(): Promise<void>;
}

export function createTollgate(options: TollgateOptions): Tollgate {
  const { catalog, store, counters } = options;
  const clock = options.clock ?? systemClock;
  const now = () => clock.now();
  const gracePeriodMs = options.gracePeriodMs ?? 3 * 86_400_000;
  const committer = new GroupCommitter(store, now, { concurrency: options.commitConcurrency ?? 1 });
  const usageCache = new UsageCache(store, now);
  const keys = new ApiKeyResolver(store, { ttlMs: options.keyCacheTtlMs });
  // A customer dropped (here or heard from another instance) takes its cached keys with it: key
  // changes and revocations travel on the customers' change feed.
  const customers = createCustomerCache({
    store,
    now,
    ttlMs: options.customerTtlMs ?? 1_000,
    ...(options.customerQuietTtlMs !== undefined && { quietTtlMs: options.customerQuietTtlMs }),
    onForget: (customerId) => keys.forget(customerId),
  });
  // The cache's own function, not a wrapper: the gate calls it on every request.
  const loadCustomer = customers.load;
  // Observers are told after the decision is made (a server's metrics subscribe after creation).
  const listeners = new Set<DecisionListener>(options.onDecision ? [options.onDecision] : []);
  const access = (customer: Customer) => resolveAccess(customer, catalog, now(), gracePeriodMs);
  const tell = (decision: GateDecision): void => {
    for (const listener of listeners) {
      try {
        listener(decision);
      } catch {
        // An observer (metrics) must never fail or change the request it observes.
      }
    }
  };

  const keyActions = createKeyActions({
    store,
    keys,
    now,
    adminKey: options.adminKey,
    loadCustomer,
    access,
    drain: () => committer.drain(),
    // Unconfirmed notices are waited out for the key cache time: no instance trusts a key longer.
    publishKeyChange: (customerOrKeyId) => customers.invalidate(customerOrKeyId, keys.ttlMs),
  });

  const rateClock = options.rateClock ?? clock;
  const gate = new Gate({
    catalog,
    counters,
    committer,
    usage: usageCache,
    clock,
    rateClock,
    findUsageEvent: (customerId, idempotencyKey) => store.findUsageEvent(customerId, idempotencyKey),
    loadWindowUsage: (customerId, windows) => store.getWindowUsage(customerId, windows),
    loadCustomer,
    loadKey: keyActions.loadKey,
    loadKeyCredits: keyActions.keyCredits,
    gracePeriodMs,
    slotTimeoutMs: options.slotTimeoutMs ?? 60_000,
  });

  const reservations = createReservations({
    gate,
    loadKey: async (keyId) => keyActions.loadKey(keyId, now()),
    committer,
    store,
    catalog,
    clock,
    consume: (customerId, request) => tollgate.consume(customerId, request),
  });

  const grantActions = createGrantActions({
    store,
    catalog,
    now,
    getCustomer: async (customerId) => loadCustomer(customerId, now()),
    access,
    drain: () => committer.drain(),
    invalidateCustomer: (customerId) => tollgate.invalidateCustomer(customerId),
  });

  const overrideActions = createOverrideActions({
    store,
    catalog,
    now,
    loadCustomer,
    gracePeriodMs,
    invalidateCustomer: (customerId) => tollgate.invalidateCustomer(customerId),
  });

  const lastUsedTimer = setInterval(() => void keys.flushLastUsed().catch(() => {}), 30_000);
  lastUsedTimer.unref();

  const tollgate: Tollgate = {
    catalog,
    store,
    counters,
    clock,
    rateClock,
    gracePeriodMs,

    authenticate: (key) => keyActions.authenticate(key),

    check: (customerId, request) => gate.check(customerId, request),
    async consume(customerId, request) {
      const decision = await gate.consume(customerId, request);
      tell(decision);
      return decision;
    },

    async consumeBatch(customerId, events, options) {
      const answers = await gate.consumeBatch(customerId, events, options?.keyId);
      if (listeners.size > 0) {
        for (const answer of answers) if (!(answer instanceof TollgateError)) tell(answer);
      }
      return answers;
    },

    observeDecisions(listener) {
      // A wrapper, so one function subscribed twice is told twice and unsubscribed once each.
      const entry: DecisionListener = (decision) => listener(decision);
      listeners.add(entry);
      return () => listeners.delete(entry);
    },

    async createCustomer(input) {
      const plan = input.plan ?? catalog.defaultPlan;
      if (!findPlan(catalog, plan))
        throw invalidRequest([{ path: 'plan', message: `unknown plan '${plan}'` }]);
      const at = now();
      return customers.rememberNew(
        await store.createCustomer({
          // `tgcus_`, not Stripe's `cus_`: both ids show side by side in the console and in logs. Ids made
          // before with `cus_` stay valid: an id is opaque once stored.
          id: newId(CUSTOMER_ID_PREFIX, at),
          externalId: input.externalId ?? null,
          email: input.email ?? null,
          name: input.name ?? null,
          plan,
          status: 'active',
          metadata: input.metadata ?? {},
          createdAt: at,
        }),
      );
    },

    getCustomer: async (customerId) => loadCustomer(customerId, now()),

    async updateCustomer(customerId, patch) {
      const updated = await store.updateCustomer(customerId, { ...patch, updatedAt: now() });
      if (!updated) throw new TollgateError('not_found', `No customer '${customerId}'.`);
      usageCache.forget(customerId);
      return customers.remember(updated);
    },

    access,

    async usage(customerId) {
      const customer = await loadCustomer(customerId, now());
      const access = resolveAccess(customer, catalog, now(), gracePeriodMs);
      await committer.drain();
      return { ...(await store.getPeriodUsage(customerId, access.period.start)), access };
    },

    async operationUsage(customerId) {
      const customer = await loadCustomer(customerId, now());
      const at = now();
      const access = resolveAccess(customer, catalog, at, gracePeriodMs);
      await committer.drain();
      const keys = standingKeys(access.plan, at, access.period);
      const [counted, totals] = await Promise.all([
        store.getWindowUsage(customerId, keys),
        store.sumOperationQuantities(customerId, access.period.start),
      ]);
      return operationStandings(
        catalog,
        access.plan,
        at,
        access.period,
        counted.map((usage) => usage.used),
        totals,
        access.grants?.operations,
      );
    },

    async setStorage(customerId, storage) {
      for (const [path, value] of Object.entries(storage)) {
        if (!Number.isSafeInteger(value) || value < 0) {
          throw invalidRequest([{ path, message: 'expected a non-negative integer' }]);
        }
      }
      return this.updateCustomer(customerId, { storageBytes: storage.bytes, storageItems: storage.items });
    },

    issueApiKey: (customerId, name, team) => keyActions.issueApiKey(customerId, name, team),
    updateApiKey: (keyId, change) => keyActions.updateApiKey(keyId, change),
    usageByKey: (customerId) => keyActions.usageByKey(customerId),
    getApiKey: (keyId) => keyActions.getApiKey(keyId),
    revokeApiKey: (keyId) => keyActions.revokeApiKey(keyId),

    reserve: (customerId, input) => reservations.reserve(customerId, input),
    settle: (reservationId, quantity, customerId, keyId) =>
      reservations.settle(reservationId, quantity, customerId, keyId),
    release: (reservationId, customerId) => reservations.release(reservationId, customerId),
    getReservation: (reservationId, customerId) => reservations.get(reservationId, customerId),

    listOverrides: (customerId) => overrideActions.listOverrides(customerId),
    setOverrides: (customerId, input, actor) => overrideActions.setOverrides(customerId, input, actor),
    removeOverrides: (customerId, keys, actor, reason) =>
      overrideActions.removeOverrides(customerId, keys, actor, reason),

    async invalidateCustomer(customerId) {
      usageCache.forget(customerId);
      await customers.invalidate(customerId);
    },

    grant: (customerId, input) => grantActions.grant(customerId, input),
    grants: (customerId) => grantActions.grants(customerId),
    revokeGrant: (customerId, grantId, revokedBy) => grantActions.revokeGrant(customerId, grantId, revokedBy),

    async flush() {
      await committer.drain();
      await keys.flushLastUsed();
    },

    async close() {
      clearInterval(lastUsedTimer);
      customers.close();
      await this.flush();
    },
  };
  return tollgate;
}
