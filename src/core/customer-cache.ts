/**
 * The engine's customer cache: every customer with its contract (overrides, grants) attached, trusted
 * for `ttlMs`, so the gate reads limits without a query on its hot path. Past that time a customer is
 * still trusted, up to `quietTtlMs` and the end of its credit period, while the store vouches that no
 * change can have gone unheard (`Store.quietToken`: no other SQLite connection committed, or the
 * PostgreSQL change feed stayed connected). One read per customer at a time; an invalidation (here,
 * or a change notice from another instance through the store's change feed) drops the entry and keeps
 * reads started before it from caching what they read.
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
  /**
   * How long it is trusted while the store vouches that no change went unheard (`Store.quietToken`),
   * never past the end of the credit period it was read in (its grants' standing is that period's).
   */
  quietTtlMs?: number;
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
   * the notice is confirmed, or after `unconfirmedWaitMs` (the cache time by default) when it cannot be,
   * or after the quiet time too when the notice could not be sent at all.
   */
  invalidate(customerId: string, unconfirmedWaitMs?: number): Promise<void>;
  /** Stops listening to the change feed. */
  close(): void;
}

/** The customer as stored, with its contract attached (a field that is not a column). */
function withContract(customer: Customer, contract: CustomerContract): Customer {
  return { ...customer, contract };
}

interface Entry {
  customer: Customer;
  readAt: number;
  /** The store's quiet token when the read started; null: trusted for `ttlMs` only. */
  token: number | null;
  /** Until when the token may extend the trust. */
  quietUntil: number;
}

/** The default of `quietTtlMs`: as long as an API key is trusted (ApiKeyResolver). */
const QUIET_TTL_MS = 30_000;

export function createCustomerCache({
  store,
  now,
  ttlMs,
  quietTtlMs = QUIET_TTL_MS,
  onForget,
}: CustomerCacheOptions): CustomerCache {
  const customers = new Map<string, Entry>();
  // Read before a store read starts: a change committed elsewhere during the read moves it.
  const quietToken = (): number | null => store.quietToken?.() ?? null;
  const entry = (customer: Customer, readAt: number, token: number | null): Entry => ({
    customer,
    readAt,
    token,
    quietUntil: Math.min(readAt + quietTtlMs, creditPeriod(customer, readAt).end),
  });
  const loading = new Map<string, Promise<Customer>>();
  // Bumped by every invalidation: a read that started before one must not cache what it read.
  let invalidations = 0;

  function load(customerId: string, at: number): Customer | Promise<Customer> {
    const cached = customers.get(customerId);
    if (cached) {
      if (at - cached.readAt < ttlMs) return cached.customer;
      // Past the cache time, still trusted while nothing can have changed it unheard: re-reading every
      // customer every second was most of the gate's store traffic with many customers.
      if (cached.token !== null && at < cached.quietUntil && quietToken() === cached.token) {
        return cached.customer;
      }
    }
    let pending = loading.get(customerId);
    if (!pending) {
      // One read per customer at a time, however many requests are waiting for it; the contract
      // (overrides, grants) is read beside it and cached with it, so the gate never queries for it.
      const generation = invalidations;
      const token = quietToken();
      pending = Promise.all([
        store.getCustomer(customerId),
        store.listCustomerOverrides(customerId),
        store.listGrants(customerId),
      ]).then(async ([stored, overrides, grants]) => {
        if (!stored) throw new TollgateError('not_found', `No customer '${customerId}'.`);
        const contract = await contractOf(stored, overrides, grants, at);
        const customer = withContract(stored, contract);
        if (generation === invalidations) customers.set(customerId, entry(customer, at, token));
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
    // Read by the caller at a moment this cache cannot place against the token: the cache time only.
    if (generation === invalidations) customers.set(customer.id, entry(customer, now(), null));
    return customer;
  }

  function rememberNew(created: Customer): Customer {
    customers.set(created.id, entry(withContract(created, EMPTY_CONTRACT), now(), null));
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
    const sent = await feed.publish(customerId).catch(() => undefined);
    if (sent === true) {
      // PostgreSQL hands the notice to every listening session at the same commit, but each instance
      // reads it from its own socket: give the others a moment to have read it as this one has.
      await new Promise((resolve) => setTimeout(resolve, NOTICE_SETTLE_MS));
      return;
    }
    // Sent but not heard back: every instance listening heard it, and one that was not listening trusts
    // no copy past the cache time. Not sent: an instance listening all along may trust its copy for
    // the quiet time, so that is waited out too.
    const wait = sent === false ? unconfirmedWaitMs : Math.max(unconfirmedWaitMs, quietTtlMs);
    await new Promise((resolve) => setTimeout(resolve, wait));
  }

  // Another instance changed a customer: drop it here too.
  const unsubscribe = store.customerChanges?.subscribe(forget);

  return { load, remember, rememberNew, invalidate, close: () => unsubscribe?.() };
}
