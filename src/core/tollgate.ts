/**
 * The engine, wired: `createTollgate({ catalog, store, counters })` gives the gate, API keys and
 * customer operations that the HTTP service, the middleware and the CLI share. Everything is passed
 * in (store, counters, clock), so tests run it on real databases with a fake clock.
 */
import { type AccountAccess, creditPeriod, resolveAccess } from './account.js';
import { ApiKeyResolver, generateApiKey, type IssuedKey, secretsEqual } from './api-keys.js';
import { type Catalog, findPlan } from './catalog/catalog.js';
import { type Clock, systemClock } from './clock.js';
import { type CustomerContract, EMPTY_CONTRACT } from './contract/contract.js';
import { createGrantActions, type GrantActions, loadGrantBook } from './contract/customer-grants.js';
import {
  checkRemovableKey,
  type OverrideInput,
  overrideAudit,
  overridesToSet,
} from './contract/override-changes.js';
import type { CustomerOverride } from './contract/overrides.js';
import { invalidRequest, TollgateError } from './errors.js';
import { Gate, type GateRequest } from './gate/gate.js';
import type { GateDecision } from './gate/gate-decision.js';
import { type OperationStanding, operationStandings, standingKeys } from './gate/operation-windows.js';
import { UsageCache } from './gate/usage-cache.js';
import { newId } from './ids.js';
import { GroupCommitter } from './ledger/group-commit.js';
import type {
  ApiKeyRecord,
  Counters,
  Customer,
  CustomerPatch,
  KeyUsage,
  OverrideChangeResult,
  PeriodUsage,
  Store,
} from './ports.js';
import { createReservations, type Reservations } from './reservations.js';
import { type KeyChange, keyPatch } from './team-keys.js';

/** The customer as stored, with its contract attached (a field that is not a column). */
function withContract(customer: Customer, contract: CustomerContract): Customer {
  return { ...customer, contract };
}

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
  /** Commits written at once: 1 for SQLite, a few for PostgreSQL. */
  commitConcurrency?: number;
  keyCacheTtlMs?: number;
  /** Told every decision `consume` returns (metrics); must not throw. See `observeDecisions`. */
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
  /** Calls `listener` with every decision `consume` returns, until the returned function is called. */
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
   * limit, nothing written then); returns the key before and after. This instance applies it at once,
   * others within their key cache time.
   */
  updateApiKey(keyId: string, change: KeyChange): Promise<{ before: ApiKeyRecord; after: ApiKeyRecord }>;
  /**
   * A customer's usage this credit period by key (`keyId` null: recorded without a key), pending
   * commits included, with the period it covers.
   */
  usageByKey(customerId: string): Promise<{ periodStart: number; periodEnd: number; keys: KeyUsage[] }>;
  /** A key by id (not_found when unknown), cached like authenticated keys. */
  getApiKey(keyId: string): Promise<ApiKeyRecord>;
  /** Revokes a key and returns it (not_found for an unknown key). */
  revokeApiKey(keyId: string): Promise<ApiKeyRecord>;
  /** Holds the credits and operation units of work whose size is known only afterwards. */
  reserve: Reservations['reserve'];
  /** Records a reservation's actual usage (even past a limit) and frees the hold. */
  settle: Reservations['settle'];
  /** Frees a reservation's hold. */
  release: Reservations['release'];
  getReservation: Reservations['get'];
  /** The customer's overrides as stored (expired ones included), ordered by key. */
  listOverrides(customerId: string): Promise<CustomerOverride[]>;
  /**
   * Sets overrides of the customer's limits or features (audited as `actor`, in one transaction with
   * the audit entry), then makes every instance's next request obey them (`invalidateCustomer`).
   */
  setOverrides(customerId: string, input: OverrideInput, actor: string): Promise<OverrideChangeResult>;
  /** Removes some overrides (not_found for a key not set) or all of them; audited, then invalidated. */
  removeOverrides(
    customerId: string,
    keys: readonly string[] | 'all',
    actor: string,
    reason?: string | null,
  ): Promise<OverrideChangeResult>;
  /**
   * Drops the cached customer (and its contract) here and on every other instance sharing the store,
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
  const customerTtlMs = options.customerTtlMs ?? 1_000;
  const committer = new GroupCommitter(store, now, { concurrency: options.commitConcurrency ?? 1 });
  const usageCache = new UsageCache(store, now);
  const keys = new ApiKeyResolver(store, { ttlMs: options.keyCacheTtlMs });
  const customers = new Map<string, { customer: Customer; readAt: number }>();
  const loading = new Map<string, Promise<Customer>>();
  // Bumped by every invalidation: a read that started before one must not cache what it read.
  let invalidations = 0;
  // Observers are told after the decision is made (a server's metrics subscribe after creation).
  const listeners = new Set<DecisionListener>(options.onDecision ? [options.onDecision] : []);

  /** The customer, synchronously when cached (the gate's hot path), else one read per customer at a time. */
  function loadCustomer(customerId: string, at: number): Customer | Promise<Customer> {
    const cached = customers.get(customerId);
    if (cached && at - cached.readAt < customerTtlMs) return cached.customer;
    let pending = loading.get(customerId);
    if (!pending) {
      // One read per customer at a time, however many requests are waiting for it; the contract
      // (overrides, grants) is read beside it and cached with it, so the gate never queries for it.
      const generation = invalidations;
      pending = Promise.all([
        store.getCustomer(customerId),
        store.listCustomerOverrides(customerId),
        store.listGrants(customerId),
      ]).then(async ([stored, overrides, grants]) => {
        if (!stored) throw new TollgateError('not_found', `No customer '${customerId}'.`);
        const contract = await contractOf(stored, overrides, grants, at);
        const customer = withContract(stored, contract);
        if (generation === invalidations) customers.set(customerId, { customer, readAt: at });
        return customer;
      });
      loading.set(customerId, pending);
      const read = pending;
      // Only its own entry: an invalidation may have replaced it with a newer read meanwhile.
      void read
        .finally(() => {
          if (loading.get(customerId) === read) loading.delete(customerId);
        })
        .catch(() => {});
    }
    return pending;
  }

  /** The contract of a customer from its stored parts; the shared empty one when nothing is agreed. */
  async function contractOf(
    stored: Customer,
    overrides: CustomerOverride[],
    grants: Awaited<ReturnType<Store['listGrants']>>,
    at: number,
  ): Promise<CustomerContract> {
    const book = await loadGrantBook(store, stored.id, grants, creditPeriod(stored, at));
    if (overrides.length === 0 && book === undefined) return EMPTY_CONTRACT;
    return { ...(overrides.length > 0 && { overrides }), ...(book !== undefined && { grants: book }) };
  }

  /**
   * Caches a customer the store just returned, with the contract of the cached copy (read from the
   * store when none is cached), so whoever reads its limits next sees its overrides and grants.
   */
  async function remember(stored: Customer): Promise<Customer> {
    const generation = invalidations;
    let contract = customers.get(stored.id)?.customer.contract;
    if (contract === undefined) {
      const at = now();
      const [overrides, grants] = await Promise.all([
        store.listCustomerOverrides(stored.id),
        store.listGrants(stored.id),
      ]);
      contract = await contractOf(stored, overrides, grants, at);
    }
    const customer = withContract(stored, contract);
    if (generation === invalidations) customers.set(customer.id, { customer, readAt: now() });
    return customer;
  }

  /** A customer just created: nothing agreed yet. */
  function rememberNew(created: Customer): Customer {
    customers.set(created.id, { customer: withContract(created, EMPTY_CONTRACT), readAt: now() });
    return created;
  }

  function forgetCustomer(customerId: string): void {
    invalidations += 1;
    customers.delete(customerId);
    loading.delete(customerId);
  }

  const unsubscribeChanges = store.customerChanges?.subscribe(forgetCustomer);

  async function changeOverrides(
    customerId: string,
    change: { action: 'set' | 'removed'; keys: readonly string[] | 'all'; set: CustomerOverride[] },
    actor: string,
    at: number,
    reason: string | null,
  ): Promise<OverrideChangeResult> {
    const customer = await loadCustomer(customerId, at);
    const plan = resolveAccess(customer, catalog, at, gracePeriodMs).catalogPlan;
    const result = await store.changeCustomerOverrides({
      customerId,
      set: change.set,
      remove: change.action === 'removed' ? change.keys : [],
      audit: (before, after) =>
        overrideAudit(catalog, plan, { customerId, ...change }, actor, at, reason, before, after),
    });
    if (!result) throw new TollgateError('not_found', `No customer '${customerId}'.`);
    await tollgate.invalidateCustomer(customerId);
    return result;
  }

  /** A key by id: from the resolver's cache (an authenticated key is there), else one read. */
  function loadKey(keyId: string, at: number): ApiKeyRecord | Promise<ApiKeyRecord> {
    const cached = keys.cachedById(keyId, at);
    if (cached !== undefined) return cached;
    return store.getApiKey(keyId).then((record) => {
      if (!record) throw new TollgateError('not_found', `No key '${keyId}'.`);
      keys.remember(record, at);
      return record;
    });
  }

  async function keyCredits(customerId: string, keyId: string, periodStart: number): Promise<number> {
    await committer.drain();
    const usage = await store.sumUsageByKey(customerId, periodStart);
    return usage.find((row) => row.keyId === keyId)?.cost ?? 0;
  }

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
    loadKey,
    loadKeyCredits: keyCredits,
    gracePeriodMs,
    slotTimeoutMs: options.slotTimeoutMs ?? 60_000,
  });

  const reservations = createReservations({
    gate,
    loadKey: async (keyId) => loadKey(keyId, now()),
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
    access: (customer) => resolveAccess(customer, catalog, now(), gracePeriodMs),
    drain: () => committer.drain(),
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

    async authenticate(key) {
      if (typeof key !== 'string' || key.length === 0 || key.length > 200) return undefined;
      if (options.adminKey && secretsEqual(key, options.adminKey)) return { kind: 'admin', keyId: null };
      const record = await keys.resolve(key, now());
      if (!record) return undefined;
      return record.customerId === null
        ? { kind: 'admin', keyId: record.id }
        : { kind: 'customer', customerId: record.customerId, keyId: record.id };
    },

    check: (customerId, request) => gate.check(customerId, request),
    async consume(customerId, request) {
      const decision = await gate.consume(customerId, request);
      for (const listener of listeners) {
        try {
          listener(decision);
        } catch {
          // An observer (metrics) must never fail or change the request it observes.
        }
      }
      return decision;
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
      return rememberNew(
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
      return remember(updated);
    },

    access: (customer) => resolveAccess(customer, catalog, now(), gracePeriodMs),

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

    async issueApiKey(customerId, name = null, team = {}) {
      if (customerId === null && (team.owner != null || team.limits != null)) {
        throw invalidRequest([{ path: 'limits', message: 'an admin key has no owner or limits' }]);
      }
      const patch = keyPatch(null, { ...team, name });
      if (customerId !== null) await loadCustomer(customerId, now());
      const issued = generateApiKey(customerId, now(), patch.name ?? null, patch);
      await store.createApiKey(issued.record);
      return issued;
    },

    async updateApiKey(keyId, change) {
      const before = await store.getApiKey(keyId);
      if (!before) throw new TollgateError('not_found', `No key '${keyId}'.`);
      if (before.customerId === null && (change.owner != null || change.limits != null)) {
        throw invalidRequest([{ path: 'limits', message: 'an admin key has no owner or limits' }]);
      }
      const after = await store.updateApiKey(keyId, keyPatch(before.limits, change));
      if (!after) throw new TollgateError('not_found', `No key '${keyId}'.`);
      // Other instances apply it when their cached entry expires (keyCacheTtlMs), as for revocations.
      keys.forgetAll();
      return { before, after };
    },

    async usageByKey(customerId) {
      const customer = await loadCustomer(customerId, now());
      const access = resolveAccess(customer, catalog, now(), gracePeriodMs);
      await committer.drain();
      const usage = await store.sumUsageByKey(customerId, access.period.start);
      return { periodStart: access.period.start, periodEnd: access.period.end, keys: usage };
    },

    async getApiKey(keyId) {
      return loadKey(keyId, now());
    },

    async revokeApiKey(keyId) {
      const revoked = await store.revokeApiKey(keyId, now());
      if (!revoked) throw new TollgateError('not_found', `No key '${keyId}'.`);
      // Other instances see the revocation when their cached entry expires (keyCacheTtlMs).
      keys.forgetAll();
      return revoked;
    },

    reserve: (customerId, input) => reservations.reserve(customerId, input),
    settle: (reservationId, quantity, customerId, keyId) =>
      reservations.settle(reservationId, quantity, customerId, keyId),
    release: (reservationId, customerId) => reservations.release(reservationId, customerId),
    getReservation: (reservationId, customerId) => reservations.get(reservationId, customerId),

    async listOverrides(customerId) {
      await loadCustomer(customerId, now());
      return store.listCustomerOverrides(customerId);
    },

    async setOverrides(customerId, input, actor) {
      const at = now();
      const set = overridesToSet(catalog, customerId, input, actor, at);
      const keys = set.map((override) => override.key);
      return changeOverrides(customerId, { action: 'set', keys, set }, actor, at, input.reason);
    },

    async removeOverrides(customerId, keys, actor, reason = null) {
      if (keys !== 'all') for (const key of keys) checkRemovableKey(catalog, key);
      return changeOverrides(customerId, { action: 'removed', keys, set: [] }, actor, now(), reason);
    },

    async invalidateCustomer(customerId) {
      forgetCustomer(customerId);
      usageCache.forget(customerId);
      const feed = store.customerChanges;
      if (feed === undefined) return;
      // The change is committed already: a notice that cannot be sent is waited out, not an error.
      if (await feed.publish(customerId).catch(() => false)) return;
      // Unconfirmed: no instance keeps a customer longer than the cache time, so after it every
      // instance reads the change.
      await new Promise((resolve) => setTimeout(resolve, customerTtlMs));
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
      unsubscribeChanges?.();
      await this.flush();
    },
  };
  return tollgate;
}
