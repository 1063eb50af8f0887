/**
 * The engine's customer cache: every customer with its contract (overrides, grants) attached, trusted
 * for `ttlMs`, so the gate reads limits without a query on its hot path. One read per customer at a
 * time; an invalidation (here, or a change notice from another instance through the store's change
 * feed) drops the entry and keeps reads started before it from caching what they read.
 */
import { creditPeriod } from './account.js';
import { type CustomerContract, EMPTY_CONTRACT } from './contract/contract.js';
import { loadGrantBook } from './contract/customer-grants.js';
import type { CustomerOverride } from './contract/overrides.js';
import { TollgateError } from './errors.js';
import type { Customer, Store } from './ports.js';

/** How long a confirmed change notice is given to reach the other instances' listeners. */
const NOTICE_SETTLE_MS = 10;

export interface CustomerCacheOptions {
  store: Store;
  /** Billing time (the credit period the grants' standing is computed for). */
  now: () => number;
  /** How long a customer record is trusted before it is read again. */
  ttlMs: number;
  /** Told of every id dropped, here or through the change feed (the engine drops that customer's keys). */
  onForget?: (customerId: string) => void;
}

export interface CustomerCache {
  /** The customer, synchronously when cached (the gate's hot path), else one read per customer at a time. */
  load(customerId: string, at: number): Customer | Promise<Customer>;
  /**
   * Caches a customer the store just returned, with the contract of the cached copy (read from the
   * store when none is cached), so whoever reads its limits next sees its overrides and grants.
   */
  remember(stored: Customer): Promise<Customer>;
  /** A customer just created: nothing agreed yet. */
  rememberNew(created: Customer): Customer;
  /**
   * Drops the customer here, then tells the other instances through the change feed; resolves once
   * the notice is confirmed, or after `unconfirmedWaitMs` (the cache time by default) when it cannot be.
   */
  invalidate(customerId: string, unconfirmedWaitMs?: number): Promise<void>;
  /** Stops listening to the change feed. */
  close(): void;
}

/** The customer as stored, with its contract attached (a field that is not a column). */
function withContract(customer: Customer, contract: CustomerContract): Customer {
  return { ...customer, contract };
}

export function createCustomerCache({ store, now, ttlMs, onForget }: CustomerCacheOptions): CustomerCache {
  const customers = new Map<string, { customer: Customer; readAt: number }>();
  const loading = new Map<string, Promise<Customer>>();
  // Bumped by every invalidation: a read that started before one must not cache what it read.
  let invalidations = 0;

  function load(customerId: string, at: number): Customer | Promise<Customer> {
    const cached = customers.get(customerId);
    if (cached && at - cached.readAt < ttlMs) return cached.customer;
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

  function rememberNew(created: Customer): Customer {
    customers.set(created.id, { customer: withContract(created, EMPTY_CONTRACT), readAt: now() });
    return created;
  }

  function forget(customerId: string): void {
    invalidations += 1;
    customers.delete(customerId);
    loading.delete(customerId);
    onForget?.(customerId);
  }

  async function invalidate(customerId: string, unconfirmedWaitMs = ttlMs): Promise<void> {
    forget(customerId);
    const feed = store.customerChanges;
    if (feed === undefined) return;
    // The change is committed already: a notice that cannot be sent is waited out, not an error.
    if (await feed.publish(customerId).catch(() => false)) {
      // PostgreSQL hands the notice to every listening session at the same commit, but each instance
      // reads it from its own socket: give the others a moment to have read it as this one has.
      await new Promise((resolve) => setTimeout(resolve, NOTICE_SETTLE_MS));
      return;
    }
    // Unconfirmed: no instance keeps a customer (or a key, when the caller waits the key cache time)
    // longer than the cache time, so after it every instance reads the change.
    await new Promise((resolve) => setTimeout(resolve, unconfirmedWaitMs));
  }

  // Another instance changed a customer: drop it here too.
  const unsubscribe = store.customerChanges?.subscribe(forget);

  return { load, remember, rememberNew, invalidate, close: () => unsubscribe?.() };
}
