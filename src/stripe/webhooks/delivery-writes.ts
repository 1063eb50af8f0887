/**
 * The store a webhook handler sees while its event applies: reads go to the real store, writes are
 * held in order (`writes`) and committed with the event in one transaction by the inbox
 * (`Store.applyWebhookDelivery`). Reads made after a write see it, as they would in the transaction:
 * the subscription mirror, object versions and customers written so far are laid over what the store
 * answers.
 *
 * Why held rather than written inside an open transaction: a handler may call Stripe (a re-read on a
 * tie of `created`, an unlinked customer's metadata). Holding SQLite's single writer, or a PostgreSQL
 * row lock, across a network call would stall every usage commit behind Stripe's latency.
 */
import type { AuditEntry, NewAuditEntry, WebhookWrite } from '../../core/billing/billing-records.js';
import type { SubscriptionRecord } from '../../core/billing/subscription-state.js';
import { newId } from '../../core/ids.js';
import type { Customer, CustomerPatch, Store } from '../../core/ports.js';

export interface DeliveryWrites {
  /** The store to give the handler. */
  readonly store: Store;
  /** What the handler wrote, in order. */
  readonly writes: WebhookWrite[];
  /**
   * Applies a change to a customer the handler holds: held, and the customer as it will be returned.
   * (`store.updateCustomer` reads the customer first when it was not read through this store.)
   */
  updateCustomer(customer: Customer, patch: CustomerPatch): Customer;
}

export function deliveryWrites(store: Store): DeliveryWrites {
  const writes: WebhookWrite[] = [];
  const customers = new Map<string, Customer>();
  const subscriptions = new Map<string, SubscriptionRecord>();
  const versions = new Map<string, number>();

  const updateCustomer = (customer: Customer, patch: CustomerPatch): Customer => {
    writes.push({ kind: 'customer', id: customer.id, patch });
    const defined = Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined));
    const updated = { ...customer, ...defined } as Customer;
    customers.set(customer.id, updated);
    return updated;
  };
  /** The customer as this delivery left it (undefined when it moved away from `stripeCustomerId`). */
  const laid = (customer: Customer | undefined, stripeCustomerId?: string): Customer | undefined => {
    if (customer === undefined) return undefined;
    const written = customers.get(customer.id) ?? customer;
    return stripeCustomerId === undefined || written.stripeCustomerId === stripeCustomerId
      ? written
      : undefined;
  };
  /** A held subscription replaces the stored one unless the stored one is newer (as the upsert). */
  const newer = (stored: SubscriptionRecord | undefined): SubscriptionRecord | undefined => {
    if (stored === undefined) return undefined;
    const held = subscriptions.get(stored.subscriptionId);
    return held !== undefined && held.stripeUpdatedAt >= stored.stripeUpdatedAt ? held : stored;
  };

  const overlay: Partial<Store> = {
    async getCustomer(id) {
      return customers.get(id) ?? store.getCustomer(id);
    },
    async getCustomerByStripeId(stripeCustomerId) {
      for (const customer of customers.values()) {
        if (customer.stripeCustomerId === stripeCustomerId) return customer;
      }
      return laid(await store.getCustomerByStripeId(stripeCustomerId), stripeCustomerId);
    },
    async updateCustomer(id, patch) {
      const customer = customers.get(id) ?? (await store.getCustomer(id));
      return customer && updateCustomer(customer, patch);
    },
    async upsertSubscription(subscription) {
      const held = subscriptions.get(subscription.subscriptionId);
      if (held === undefined || held.stripeUpdatedAt <= subscription.stripeUpdatedAt)
        subscriptions.set(subscription.subscriptionId, subscription);
      writes.push({ kind: 'subscription', subscription });
    },
    async getSubscription(id) {
      return newer(await store.getSubscription(id)) ?? subscriptions.get(id);
    },
    async listSubscriptions(stripeCustomerId) {
      const stored = (await store.listSubscriptions(stripeCustomerId)).map((record) => newer(record));
      const known = new Set(stored.map((record) => record?.subscriptionId));
      const added = [...subscriptions.values()].filter(
        (record) => record.stripeCustomerId === stripeCustomerId && !known.has(record.subscriptionId),
      );
      // Oldest created first, then id, as the store orders them.
      return [...(stored as SubscriptionRecord[]), ...added].sort(
        (a, b) => a.created - b.created || (a.subscriptionId < b.subscriptionId ? -1 : 1),
      );
    },
    async upsertInvoice(invoice) {
      writes.push({ kind: 'invoice', invoice });
    },
    async getObjectVersion(objectId) {
      const stored = await store.getObjectVersion(objectId);
      const held = versions.get(objectId);
      return held === undefined || (stored !== undefined && stored > held) ? stored : held;
    },
    async setObjectVersion(objectId, appliedAt) {
      versions.set(objectId, Math.max(appliedAt, versions.get(objectId) ?? appliedAt));
      writes.push({ kind: 'version', objectId, appliedAt });
    },
    async appendAudit(entry: NewAuditEntry): Promise<AuditEntry> {
      const stored: AuditEntry = { id: newId('aud', entry.at), ...entry };
      writes.push({ kind: 'audit', entry: stored });
      return stored;
    },
  };
  // Everything else (reads the handlers rarely make) goes to the store as it is.
  const held = Object.assign(Object.create(store) as Store, overlay);
  return { store: held, writes, updateCustomer };
}
