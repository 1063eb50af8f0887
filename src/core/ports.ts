/**
 * The interfaces the core owns and the outside world implements: storage (`Store`) and hot counters
 * (`Counters`). The core never imports a driver; `store/` and `counters/` implement these, and one
 * contract suite per interface runs every implementation through the same cases.
 *
 * Units: times are epoch milliseconds; credits are integer milli-credits (1 credit = 1,000);
 * money is integer minor units.
 */
import type {
  AuditEntry,
  AuditFilter,
  InvoiceFilter,
  InvoiceRecord,
  NewAuditEntry,
  NewWebhookEvent,
  WebhookDelivery,
  WebhookEventFilter,
  WebhookEventOutcome,
  WebhookEventRecord,
  WebhookEventStatus,
} from './billing/billing-records.js';
import type { CustomerPrice, CustomerPriceFilter, NewCustomerPrice } from './billing/custom-prices.js';
import type { SubscriptionRecord } from './billing/subscription-state.js';
import type { OperationWindow } from './catalog/catalog.js';
import type { CustomerContract } from './contract/contract.js';
import type { Grant, GrantCounter } from './contract/grants.js';
import type { CustomerOverride } from './contract/overrides.js';

export type AccountStatus = 'active' | 'trialing' | 'past_due' | 'suspended' | 'canceled';
export type BillingInterval = 'month' | 'year';

export interface Customer {
  id: string;
  /** The app's own id for this customer (its user or organisation id), unique when set. */
  externalId: string | null;
  email: string | null;
  name: string | null;
  /** Plan id from the catalog. */
  plan: string;
  status: AccountStatus;
  billingInterval: BillingInterval | null;
  stripeCustomerId: string | null;
  stripeSubscriptionId: string | null;
  /** Current billing period from Stripe; null for customers without a subscription (calendar months). */
  periodStart: number | null;
  periodEnd: number | null;
  trialEnd: number | null;
  paymentFailedAt: number | null;
  cancelAtPeriodEnd: boolean;
  storageBytes: number;
  storageItems: number;
  metadata: Record<string, string>;
  createdAt: number;
  updatedAt: number;
  /**
   * Not a column: what the customer agreed beyond its plan (its overrides and grants), attached when
   * the engine loads the customer. Absent on a customer read straight from the store.
   */
  contract?: CustomerContract;
}

export interface OverrideChange {
  customerId: string;
  /** Rows to insert or replace, by key. */
  set: readonly CustomerOverride[];
  /** Keys to delete, or every override of the customer. */
  remove: readonly string[] | 'all';
  /** The audit entry of the change; may throw to refuse it (the transaction is rolled back). */
  audit: (before: readonly CustomerOverride[], after: readonly CustomerOverride[]) => NewAuditEntry;
}

export interface OverrideChangeResult {
  before: CustomerOverride[];
  after: CustomerOverride[];
  audit: AuditEntry;
}

/**
 * Customer changes told across processes (PostgreSQL LISTEN/NOTIFY). `publish` resolves true once
 * this process heard its own notice back (the database delivered it to every listener), false when
 * it could not tell (listener disconnected, timeout).
 */
export interface CustomerChangeFeed {
  publish(customerId: string): Promise<boolean>;
  /** `listener` hears every customer id published by any process; returns the unsubscribe function. */
  subscribe(listener: (customerId: string) => void): () => void;
}

/** A grant as the engine asks for it: the store reads `baseline` under the counter's lock. */
export type NewGrant = Omit<Grant, 'baseline' | 'revokedAt' | 'revokedAmount'> & {
  /** The engine's fingerprint of the grant's terms: a retry with the same key must match it. */
  requestHash: string;
};

export interface GrantRevocation {
  customerId: string;
  grantId: string;
  /** The current credit period: its counter is read under lock for `unspent`. */
  periodStart: number;
  revokedAt: number;
  revokedBy: string | null;
  /** What is left of the grant given its counter's value now (the engine's rule), taken back. */
  unspent(grant: Grant, used: number): number;
}

export interface NewCustomer {
  id: string;
  externalId?: string | null;
  email?: string | null;
  name?: string | null;
  plan: string;
  status?: AccountStatus;
  metadata?: Record<string, string>;
  createdAt: number;
}

/** Fields a caller may change; `updatedAt` is set by the caller too (the store keeps no clock). */
export type CustomerPatch = Partial<Omit<Customer, 'id' | 'createdAt' | 'contract'>> & { updatedAt: number };

export interface CustomerFilter {
  plan?: string;
  /**
   * The status on record; with `suspendedIfFailedBy` the status as it stands now (suspension is
   * computed, docs/decisions/003), so `suspended` also matches a past_due customer whose payment
   * failed at or before that time, and `past_due` only those still in their grace period.
   */
  status?: AccountStatus;
  /** Now minus the grace period: payment failures at or before it have run out of grace. */
  suspendedIfFailedBy?: number;
  /** Matches id, external id, email or name (case-insensitive substring). */
  search?: string;
  limit: number;
  /** Customer id to start after, in the list's order (the same `sortBy` and `order`). */
  after?: string;
  /**
   * The sort key, then id to break ties: `created` (the default) is by id, which follows creation
   * time; `name` and `email` case-insensitively with no value first; `plan`; `status` as it stands
   * now when `suspendedIfFailedBy` is given (a past_due customer out of grace sorts as suspended).
   */
  sortBy?: 'created' | 'name' | 'email' | 'plan' | 'status';
  /** Direction of `sortBy` (and of the id tie-break): ascending (default) or descending. */
  order?: 'asc' | 'desc';
}

export interface ApiKeyRecord {
  id: string;
  /** Null for an admin key. */
  customerId: string | null;
  /** SHA-256 of the full key, hex. The key itself is never stored. */
  hash: string;
  /** The first characters of the key, safe to show (`tg_live_3xK9`). */
  prefix: string;
  name: string | null;
  /** Who holds the key (free text: a member's email or user id); absent or null when not said. */
  owner?: string | null;
  /** The key's own limits inside its customer's (docs/decisions/015); absent or null: none. */
  limits?: KeyLimits | null;
  createdAt: number;
  revokedAt: number | null;
  lastUsedAt: number | null;
}

/**
 * A key's own limits, absolute integers, each null when the key has none of that kind. They hold
 * inside the customer's: a request must pass the customer's limit and the key's, so a key limit above
 * the customer's simply never binds.
 */
export interface KeyLimits {
  /** Milli-credits the key may use per credit period. */
  credits: number | null;
  requestsPerMinute: number | null;
  requestsPerDay: number | null;
}

/** The fields of a key an admin may change; absent = unchanged, `limits` replaces them all. */
export interface ApiKeyPatch {
  name?: string | null;
  owner?: string | null;
  limits?: KeyLimits | null;
}

/** One key's usage in a credit period (keyId null: usage recorded without a key). */
export interface KeyUsage {
  keyId: string | null;
  /** Milli-credits of the key's recorded events. */
  cost: number;
  events: number;
}

/**
 * One request to debit credits for one usage event. The store decides admission inside its
 * transaction with `decideDebits` (core), so the rule is the same on every database.
 */
export interface UsageDebit {
  customerId: string;
  /** Start of the credit period the debit belongs to (epoch ms); the counter row's key. */
  periodStart: number;
  operation: string;
  /** Number of operations (a positive integer). */
  quantity: number;
  /** Total cost in milli-credits (quantity x unit cost), >= 0. */
  cost: number;
  /**
   * The most milli-credits the period may reach with this debit admitted: the plan's quota, plus the
   * overage allowance when the plan bills overage. Null means unlimited.
   */
  limit: number | null;
  /** The plan's included quota (milli-credits), to split included from overage usage. Null = unlimited. */
  included: number | null;
  idempotencyKey: string | null;
  /** Hash of the debit's payload, to tell a retry from a different request with the same key. */
  requestHash: string | null;
  /** When the usage happened (epoch ms). */
  occurredAt: number;
  /** Strings stored with the event (see gate/event-metadata); null or absent: none. */
  metadata?: Readonly<Record<string, string>> | null;
  /**
   * The operation's limited windows this debit counts `quantity` units in, each decided like the
   * credit quota (operation limits before credits). Absent or empty: the operation has no limits.
   */
  windows?: readonly WindowDebit[];
  /**
   * What this debit does to a reservation (absent: an ordinary debit). `reserve` admits like a debit
   * but adds its cost and quantity to the counters' holds instead of recording an event; `settle`
   * frees the reservation's holds and records `quantity` whatever the limits; `release` frees them.
   */
  reservation?: ReservationAction;
  /** The API key the usage came through (stored with the event); absent or null: none. */
  keyId?: string | null;
  /**
   * The key's own credit limit (milli-credits per period), present only when the key has one: the
   * debit must then fit the key's counter as well as the customer's (`keyId` is set with it).
   */
  keyLimit?: number;
}

export type ReservationAction =
  | { action: 'reserve'; id: string; expiresAt: number }
  | { action: 'settle'; id: string }
  | { action: 'release'; id: string };

/** A reservation's state: `expired` is `held` past its expiry (derived, never stored). */
export type ReservationStatus = 'held' | 'settled' | 'released' | 'expired';

/** A stored reservation: what was held, and the debit its settle records. */
export interface Reservation {
  id: string;
  customerId: string;
  operation: string;
  /** Units held (each of `windows` holds them). */
  quantity: number;
  /** Milli-credits held. */
  cost: number;
  periodStart: number;
  /** The credit ceiling and included quota of the plan when reserved (see `UsageDebit`). */
  limit: number | null;
  included: number | null;
  windows: WindowDebit[];
  status: ReservationStatus;
  expiresAt: number;
  createdAt: number;
  /** Units the settle recorded, its event, and when it was settled or released. */
  settledQuantity: number | null;
  eventId: string | null;
  closedAt: number | null;
}

/** One window of an operation limit that a debit counts in. */
export interface WindowDebit {
  window: OperationWindow;
  /** Start of the window (epoch ms): a fixed UTC window of billing time, or the credit period's start. */
  start: number;
  /** Most units the window may reach with this debit admitted (month: overage included); null = unlimited. */
  limit: number | null;
  /** The plan's included units, to split overage off (month with overage only); null = no overage. */
  included: number | null;
}

/** Where an operation window stands: units counted and the part of them past the included limit. */
export interface WindowUsage {
  used: number;
  overage: number;
  /** Units held by unexpired reservations (only where the store decides admission). */
  held?: number;
}

/** An operation window that refused a debit. */
export interface WindowDenial {
  window: OperationWindow;
  /** The window's limit (the included units when it bills overage). */
  limit: number;
  /** Units counted in the window before the refused debit. */
  used: number;
}

export type UsageOutcome =
  | {
      kind: 'recorded';
      eventId: string;
      /** Period usage after this debit (milli-credits). */
      used: number;
      /** The part of this debit above the included quota (milli-credits), billed as overage. */
      overage: number;
      /** True when this answer repeats the first one for the same idempotency key. */
      replayed: boolean;
      /** Units counted in each of the debit's windows after it (a replay: as they stand now), in order. */
      windows?: number[];
      /** A settle only: the recorded usage took the period or a window past its limit. */
      overLimit?: boolean;
    }
  | {
      kind: 'denied';
      used: number;
      /** The operation window that refused it; absent when the credit quota did. */
      window?: WindowDenial;
      /** The key's own credit limit refused it (milli-credits): the key's usage before it. */
      key?: { id: string; limit: number; used: number };
    }
  | {
      kind: 'conflict';
      eventId: string;
      /** A settle or release refused because its reservation is not held (any more): how it stands. */
      reservation?: ReservationStatus | 'missing';
    };

/** Identifies one operation window's counter. */
export interface WindowKey {
  operation: string;
  window: OperationWindow;
  start: number;
}

export interface UsageEvent {
  id: string;
  customerId: string;
  periodStart: number;
  operation: string;
  quantity: number;
  cost: number;
  overage: number;
  /**
   * Units of the operation this event took past the operation's included month limit (per-operation
   * overage, billed on the operation's own meter). Absent when none: it is not stored with the event,
   * only added to the meter outbox in the same commit.
   */
  operationOverage?: number;
  /** Period usage right after this event was admitted: a replay answers with it. */
  usedAfter: number;
  idempotencyKey: string | null;
  requestHash: string | null;
  occurredAt: number;
  recordedAt: number;
  /** Strings the event was recorded with; null when none. */
  metadata: Readonly<Record<string, string>> | null;
  /** The API key it was recorded through; absent or null when none (or recorded before keys were kept). */
  keyId?: string | null;
}

export interface PeriodUsage {
  customerId: string;
  periodStart: number;
  used: number;
  overage: number;
}

export interface Store {
  /** Creates or upgrades the schema; safe to run on every start and from several processes. */
  migrate(): Promise<void>;
  /** Checks the database answers (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;

  createCustomer(input: NewCustomer): Promise<Customer>;
  getCustomer(id: string): Promise<Customer | undefined>;
  getCustomerByExternalId(externalId: string): Promise<Customer | undefined>;
  getCustomerByStripeId(stripeCustomerId: string): Promise<Customer | undefined>;
  /** Applies the patch and returns the customer as stored, or undefined when it does not exist. */
  updateCustomer(id: string, patch: CustomerPatch): Promise<Customer | undefined>;
  listCustomers(filter: CustomerFilter): Promise<{ customers: Customer[]; hasMore: boolean }>;

  /** A customer's overrides as stored, expired ones included, ordered by key. */
  listCustomerOverrides(customerId: string): Promise<CustomerOverride[]>;
  /**
   * Sets and removes overrides of one customer and appends the audit entry `audit` makes of the
   * change, in ONE transaction (nothing is written when any part fails). `audit` is given the
   * overrides as they were, read in the transaction under the customer's lock, and as they are after.
   * Setting a key that exists keeps its `createdBy`/`createdAt`. Undefined when the customer does not
   * exist (nothing written).
   */
  changeCustomerOverrides(change: OverrideChange): Promise<OverrideChangeResult | undefined>;
  /**
   * Tells the engines on other processes that a customer changed, so they drop their cached copy;
   * absent where one process owns the database (SQLite): the engine's cache time covers the rest.
   */
  readonly customerChanges?: CustomerChangeFeed;
  /**
   * A value that holds as long as no customer can have changed in the store without this process
   * hearing of it, or null when nothing can be promised now. SQLite: the connection's data_version,
   * which moves when another connection commits. PostgreSQL: the change feed's connection, which
   * moves when its listener reconnects, and is null while it is down. The engine keeps trusting a
   * cached customer past its cache time while the value it was read under holds.
   */
  quietToken?(): number | null;

  createApiKey(key: ApiKeyRecord): Promise<void>;
  findApiKeyByHash(hash: string): Promise<ApiKeyRecord | undefined>;
  listApiKeys(customerId: string): Promise<ApiKeyRecord[]>;
  /** Returns the key as revoked (a second revocation keeps the first time), or undefined when no such key exists. */
  revokeApiKey(id: string, revokedAt: number): Promise<ApiKeyRecord | undefined>;
  /** A key by id (revoked ones too), or undefined. */
  getApiKey(id: string): Promise<ApiKeyRecord | undefined>;
  /**
   * Changes a key's name, owner or limits; returns it as stored, or undefined when no such key exists.
   * A change of limits also drops the key's credit counters in the same transaction, so its next
   * limited debit counts from the key's events again.
   */
  updateApiKey(id: string, patch: ApiKeyPatch): Promise<ApiKeyRecord | undefined>;
  /**
   * Credits and event counts of one customer's events in a credit period, by key (one GROUP BY;
   * `keyId` null for events recorded without a key), keys with events only.
   */
  sumUsageByKey(customerId: string, periodStart: number): Promise<KeyUsage[]>;
  /** Stores many last-used times, by key id, in one write (called periodically, never per request). A time never moves back. */
  touchApiKeys(lastUsed: ReadonlyMap<string, number>): Promise<void>;

  /**
   * Debits a batch in ONE transaction: for every debit, in order, either records a usage event and
   * raises the period counter, or denies it, or answers a replay/conflict for a known idempotency key.
   * Admission never lets a period's usage exceed the debit's limit, also with several processes
   * committing at once (rows are locked or the transaction is serialized). Returns one outcome per
   * debit, in order. Durable when the promise resolves. Every debit's customer must exist: a debit for
   * an unknown customer rejects the whole batch, and nothing of it is written.
   */
  commitUsage(debits: readonly UsageDebit[], recordedAt: number): Promise<UsageOutcome[]>;

  /**
   * Stores a grant in ONE transaction with its `baseline`: the value of its counter (the credit counter
   * of `periodStart`, or the operation's `month` window counter there) read under the lock commits
   * take, so no debit falls between the read and the insert. A known (customer, idempotency key)
   * writes nothing and returns the stored grant with `created: false` and its `requestHash`.
   */
  createGrant(grant: NewGrant): Promise<{ grant: Grant; created: boolean; requestHash: string }>;
  /** A customer's grants, oldest first. */
  listGrants(customerId: string): Promise<Grant[]>;
  /**
   * Counters of the credit periods starting at or after `since`: the credit counters and the `month`
   * window counters of `operations`, oldest first.
   */
  getGrantCounters(customerId: string, since: number, operations: readonly string[]): Promise<GrantCounter[]>;
  /**
   * Revokes what is unspent of a grant, in ONE transaction under its counter's lock; a second revoke
   * changes nothing. Undefined when the customer has no such grant.
   */
  revokeGrant(revocation: GrantRevocation): Promise<Grant | undefined>;
  getPeriodUsage(customerId: string, periodStart: number): Promise<PeriodUsage>;
  /**
   * A page of one customer's events, newest recorded first, starting after the event `after` (an
   * event id, the last of the previous page).
   */
  pageUsageEvents(
    customerId: string,
    options: { limit: number; after?: string },
  ): Promise<{ events: UsageEvent[]; hasMore: boolean }>;
  /** A reservation as stored (`expired` when held past `now`), or undefined. */
  getReservation(id: string, now: number): Promise<Reservation | undefined>;
  /** Events of one customer recorded in [from, to), oldest first, at most `limit`. */
  listUsageEvents(customerId: string, from: number, to: number, limit: number): Promise<UsageEvent[]>;
  /** The event a customer recorded with this idempotency key, if any (looked up off the hot path). */
  findUsageEvent(customerId: string, idempotencyKey: string): Promise<UsageEvent | undefined>;
  /** Operation window counters of a customer, in the order asked (zero for a window never counted). */
  getWindowUsage(customerId: string, windows: readonly WindowKey[]): Promise<WindowUsage[]>;
  /**
   * Units of each operation recorded in a credit period, by operation id (one GROUP BY). Reads events
   * recorded from the period's start on, as the engine records them (never before their period).
   */
  sumOperationQuantities(customerId: string, periodStart: number): Promise<Record<string, number>>;
  /** Sum of recorded events' cost and count for a period: the counters' invariant is checked against it. */
  sumUsageEvents(customerId: string, periodStart: number): Promise<{ cost: number; events: number }>;
  /**
   * Credits and event counts of one customer's events counted in the period that starts at `from`
   * and recorded in [from, to), grouped in buckets of
   * `bucketMs` aligned on `from` (bucket i starts at from + i * bucketMs). Only buckets with events,
   * oldest first; integers only (one GROUP BY, never a scan in JS).
   */
  usageTotals(customerId: string, from: number, to: number, bucketMs: number): Promise<UsageBucket[]>;
  /** Customers with a Stripe subscription that is not canceled, by plan id (one grouped query: metrics). */
  countSubscriptionsByPlan(): Promise<Record<string, number>>;

  /**
   * Claims up to `limit` meter windows to report: pending, closed (`windowEnd <= closedBy`), due
   * (`nextAttemptAt <= now`), not claimed by another sender, and whose customer has a Stripe customer id
   * (the others stay pending until it has one). Each claimed row is leased until `now + leaseMs` and its
   * `sendingValue` fixed (kept from an earlier failed attempt, else the current value), so a retry sends
   * the same amount. Oldest windows first. Several processes may claim at once; no row goes to two.
   */
  claimMeterWindows(claim: MeterWindowClaim): Promise<MeterWindow[]>;
  /** Stripe accepted the window's `sendingValue`: it becomes `sentValue`; the row stays pending when usage arrived meanwhile. */
  markMeterWindowSent(window: MeterWindowKey, sentAt: number): Promise<void>;
  /** A send failed: count the attempt, keep the error, release the claim until `nextAttemptAt`. */
  markMeterWindowFailed(window: MeterWindowKey, error: string, nextAttemptAt: number): Promise<void>;
  /** Outbox rows, oldest window first (for tests, the admin view and the backlog metric). */
  listMeterWindows(filter: MeterWindowFilter): Promise<MeterWindow[]>;

  /** Records Stripe ids created by `tollgate plans push` (replacing those of the same plan and kind). */
  saveStripeCatalogIds(ids: StripeCatalogIds, updatedAt: number): Promise<void>;
  getStripeCatalogIds(): Promise<StripeCatalogIds>;

  /**
   * Stores a verified Stripe event by id. `isNew` is false when the id is known: nothing is written
   * and `event` is the row as stored (its status tells a processed duplicate from a failed one).
   */
  recordWebhookEvent(event: NewWebhookEvent): Promise<{ isNew: boolean; event: WebhookEventRecord }>;
  /** Sets an event's status; `processed` and `failed` count one attempt. False when the id is unknown. */
  markWebhookEvent(id: string, outcome: WebhookEventOutcome): Promise<boolean>;
  /**
   * Commits one webhook delivery in ONE transaction: stores the event by id (or takes the stored row,
   * locked), applies `writes` in order and sets the event's status. When the stored event is already
   * `processed` (a concurrent redelivery won), nothing is written and `duplicate` is true. `customers`
   * are the rows the customer writes left, in order.
   */
  applyWebhookDelivery(delivery: WebhookDelivery): Promise<{ duplicate: boolean; customers: Customer[] }>;
  /**
   * Commits several deliveries in ONE transaction (a group commit), each in order as
   * `applyWebhookDelivery` would, so a later one sees what an earlier one wrote (the second of two
   * deliveries of one event id is a duplicate). All or nothing: when any statement fails, the
   * transaction rolls back and the call rejects with nothing of any delivery written.
   */
  applyWebhookDeliveries(
    deliveries: readonly WebhookDelivery[],
  ): Promise<Array<{ duplicate: boolean; customers: Customer[] }>>;
  getWebhookEvent(id: string): Promise<WebhookEventRecord | undefined>;
  /** The stored event's status alone (the inbox's duplicate check reads no payload). */
  getWebhookEventStatus(id: string): Promise<WebhookEventStatus | undefined>;
  /** Newest first (Stripe's `created`, then id); `hasMore` when another page follows. */
  listWebhookEvents(filter: WebhookEventFilter): Promise<{ events: WebhookEventRecord[]; hasMore: boolean }>;
  appendAudit(entry: NewAuditEntry): Promise<AuditEntry>;
  /** Newest first. */
  listAudit(filter: AuditFilter): Promise<{ entries: AuditEntry[]; hasMore: boolean }>;
  /** Amount paid per UTC month of `paidAt`, for invoices in `currency` paid in [from, to); oldest month first. */
  sumPaidInvoicesByMonth(currency: string, from: number, to: number): Promise<MonthlyAmount[]>;
  /** Inserts or replaces an invoice, unless the stored one was read from Stripe later (`stripeUpdatedAt`). */
  upsertInvoice(invoice: InvoiceRecord): Promise<void>;
  getInvoice(id: string): Promise<InvoiceRecord | undefined>;
  /** Newest first (created, then id); one customer's or all. */
  listInvoices(filter: InvoiceFilter): Promise<{ invoices: InvoiceRecord[]; hasMore: boolean }>;

  /** Stores a new dashboard link or billing session (by the hash of its token). */
  createDashboardToken(token: DashboardToken): Promise<void>;
  /**
   * Uses a link once: marks it used at `now` and returns it, when it is an unused, unexpired link, in
   * ONE conditional statement, so of any number of concurrent calls (any process) exactly one wins.
   * Undefined otherwise, and nothing is written.
   */
  consumeDashboardLink(tokenHash: string, now: number): Promise<DashboardToken | undefined>;
  /** An unexpired session whose customer exists and whose issuing key (if any) is not revoked. */
  findDashboardSession(tokenHash: string, now: number): Promise<DashboardToken | undefined>;
  /** Inserts or replaces the snapshot of its day. */
  upsertRevenueSnapshot(snapshot: RevenueSnapshot): Promise<void>;
  /** Snapshots of the days from `fromDay` to `toDay` (YYYY-MM-DD, both included), oldest first. */
  listRevenueSnapshots(fromDay: string, toDay: string): Promise<RevenueSnapshot[]>;
  /**
   * Inserts or replaces a mirrored Stripe subscription, unless the stored one was read from Stripe
   * later (`stripeUpdatedAt`): a late event never overwrites a newer state of the same subscription.
   */
  upsertSubscription(subscription: SubscriptionRecord): Promise<void>;
  getSubscription(id: string): Promise<SubscriptionRecord | undefined>;
  /** Every mirrored subscription of a Stripe customer, any status, oldest created first. */
  listSubscriptions(stripeCustomerId: string): Promise<SubscriptionRecord[]>;
  /** The mirrored subscriptions of these ids (unknown ids are left out), in no particular order. */
  getSubscriptions(ids: readonly string[]): Promise<SubscriptionRecord[]>;

  /**
   * Sets a customer's negotiated price in ONE transaction: retires `replaces` (its active price for the
   * same plan and interval, or null when it has none), inserts `price` and appends `audit`. A
   * `conflict` error, with nothing written, when the active price is no longer `replaces` (a
   * concurrent change).
   */
  saveCustomerPrice(price: NewCustomerPrice, replaces: string | null, audit: NewAuditEntry): Promise<void>;
  /**
   * Retires an active negotiated price and appends `audit`, in one transaction. False, with nothing
   * written, when it is not active (removed already, or never was).
   */
  removeCustomerPrice(
    id: string,
    removedAt: number,
    removedBy: string,
    audit: NewAuditEntry,
  ): Promise<boolean>;
  /** Negotiated prices, oldest first: one customer's or all; active ones unless `includeRemoved`. */
  listCustomerPrices(filter: CustomerPriceFilter): Promise<CustomerPrice[]>;
  /** Stripe's `created` (ms) of the newest event applied to a Stripe object, if any. */
  getObjectVersion(objectId: string): Promise<number | undefined>;
  /** Records that an event of time `appliedAt` was applied; the stored time never moves back. */
  setObjectVersion(objectId: string, appliedAt: number): Promise<void>;
}

/** One fixed rate-limit window to count a hit in. */
export interface RateWindow {
  /** Identifies the limit, e.g. `rate:cus_1:minute`. */
  key: string;
  limit: number;
  /** Start of the window (epoch ms, from the core's clock). */
  windowStart: number;
  windowMs: number;
}

export interface RateResult {
  allowed: boolean;
  /** Hits in each window after this call (unchanged windows when denied), in input order. */
  counts: number[];
  /** Index of the first window that was full when denied. */
  deniedIndex?: number;
}

export interface SlotResult {
  acquired: boolean;
  /** Slots in use after this call (including this one when acquired). */
  inUse: number;
  /** Pass to releaseSlot; present when acquired. */
  token?: string;
}

/**
 * Hot counters for rate and concurrency limits. In memory for one process; Redis for several.
 * Every method is atomic with respect to other callers, in this process and (Redis) in others.
 */
export interface Counters {
  /**
   * Counts one hit in every window if all stay within their limits (count < limit); otherwise counts none.
   * Rejects with a TypeError, counting nothing, for a non-finite windowStart, a windowMs that is not
   * positive, or a NaN limit.
   */
  hitRate(windows: readonly RateWindow[]): Promise<RateResult>;
  /** Current hits per window, counting nothing. */
  peekRate(windows: readonly RateWindow[]): Promise<number[]>;
  /** Takes back one hit per window (a later check denied the request, which must record nothing). */
  undoRate(windows: readonly RateWindow[]): Promise<void>;
  /**
   * Takes one of `limit` concurrency slots for `key`. A slot not released by `expiresAt` (epoch ms, the
   * core's clock) counts as free once `now >= expiresAt`, so a crashed request cannot hold a slot forever.
   * Rejects with a TypeError when `now` or `expiresAt` is not finite or `limit` is NaN.
   */
  acquireSlot(key: string, limit: number, now: number, expiresAt: number): Promise<SlotResult>;
  /** Frees a slot; releasing twice or after expiry is harmless. */
  releaseSlot(key: string, token: string): Promise<void>;
  close(): Promise<void>;
}

/** One (customer, meter, window) of overage to report to Stripe Billing Meters. */
export interface MeterWindow {
  customerId: string;
  /** Tollgate's meter key (`overage`); the sender maps it to the Stripe meter's event name. */
  meter: string;
  /** Start of the window (epoch ms), not before the customer's period start: the meter event's timestamp. */
  windowStart: number;
  /** End of the window (epoch ms): it is reported once this has passed. */
  windowEnd: number;
  /** Milli-credits of overage committed in the window so far. */
  value: number;
  /** Part of `value` Stripe has accepted. */
  sentValue: number;
  /** Value a send in flight reports (`sendingValue - sentValue`); null when none is. */
  sendingValue: number | null;
  status: 'pending' | 'sent';
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  sentAt: number | null;
  /** The customer's, read with the row (claims only return rows that have one). */
  stripeCustomerId: string | null;
}

export type MeterWindowKey = Pick<MeterWindow, 'customerId' | 'meter' | 'windowStart'>;

export interface MeterWindowClaim {
  now: number;
  /** Only windows ending at or before this time (now minus the sender's closing delay). */
  closedBy: number;
  limit: number;
  leaseMs: number;
}

export interface MeterWindowFilter {
  customerId?: string;
  status?: 'pending' | 'sent';
  limit: number;
}

/** Stripe ids by plan id, as `tollgate plans push` recorded them. */
export type StripeCatalogIds = Record<string, StripePlanIds>;

export interface StripePlanIds {
  product?: string;
  month?: string;
  year?: string;
  /** The metered overage price. */
  overage?: string;
  /** The billing meter the overage price reads (the same for every plan). */
  meter?: string;
  /** Per operation with overage: its metered price in this plan and its meter (shared by the plans). */
  operations?: Record<string, { price: string; meter: string }>;
}

/** One bucket of a customer's usage: `credits` in milli-credits, `events` recorded. */
export interface UsageBucket {
  start: number;
  credits: number;
  events: number;
}

/** Money in minor units for one UTC month (`YYYY-MM`). */
export interface MonthlyAmount {
  month: string;
  amount: number;
}

export type DashboardTokenKind = 'link' | 'session';

/** Colours of the billing page, each `#rgb` or `#rrggbb`. */
export interface DashboardTheme {
  accent?: string;
  background?: string;
  text?: string;
}

/** How the billing page shows itself: inside the app's frame or not, and in which colours. */
export interface DashboardDisplay {
  embed: boolean;
  theme: DashboardTheme | null;
}

/** A one-time link to the billing page, or the billing session it was exchanged for. */
export interface DashboardToken {
  /** SHA-256 of the token, hex. The token itself is never stored. */
  tokenHash: string;
  customerId: string;
  kind: DashboardTokenKind;
  expiresAt: number;
  usedAt: number | null;
  returnUrl: string | null;
  display: DashboardDisplay;
  /** The API key that asked for the link; its sessions end when it is revoked. */
  apiKeyId: string | null;
  createdAt: number;
}

/** The revenue report's figures of one UTC day (billing time). */
export interface RevenueSnapshot {
  /** YYYY-MM-DD */
  day: string;
  mrr: number;
  payingCustomers: number;
  /** Live subscriptions, all plans. */
  subscriptions: number;
  byTier: Record<string, number>;
  updatedAt: number;
}
