/**
 * What a webhook handler is given: the event, its time, and the few operations every handler needs,
 * so each handler file states only what its events mean. Three rules live here rather than in the
 * handlers:
 * - Out of order: `current()` answers the object as of this event, a fresh read from Stripe when
 *   another event of the same second was already applied, or null when a newer event was applied.
 * - Writes are held (`delivery-writes.ts`) and committed with the event in one transaction by the
 *   inbox; customers changed are then dropped from the engine's cache here and on every other
 *   instance (`invalidateCustomer`), and every status change is audited (revenue's churn and trial
 *   conversion read the audit log).
 * - Notifications are queued and sent only after the whole event applied (compute, then act).
 */
import type Stripe from 'stripe';
import { resolveAccess } from '../../core/account.js';
import type { NewAuditEntry } from '../../core/billing/billing-records.js';
import type { CustomerChange, PriceIndex } from '../../core/billing/subscription-state.js';
import type { Notification, NotificationType, Notifier } from '../../core/notifications/notifier.js';
import type { Customer } from '../../core/ports.js';
import type { Tollgate } from '../../core/tollgate.js';
import { type DeliveryWrites, deliveryWrites } from './delivery-writes.js';

/** The part of the server's metrics the inbox records into (`TollgateMetrics` fits). */
export interface WebhookMetrics {
  recordWebhook(
    type: string,
    outcome: 'processed' | 'duplicate' | 'ignored' | 'failed',
    lagSeconds?: number | null,
  ): void;
  recordPayment(succeeded: boolean): void;
}

export interface WebhookDependencies {
  tollgate: Tollgate;
  stripe: Stripe;
  /** Stripe price id -> plan; a function because `tollgate plans push` can add prices while running. */
  prices: () => PriceIndex | Promise<PriceIndex>;
  notifier?: Notifier;
  /** As the engine's (STRIPE_PAYMENT_GRACE_PERIOD_DAYS); default 3 days. */
  gracePeriodMs?: number;
  /** Told when a test clock turned ready (the clock follower listens). */
  onTestClockReady?: (clock: Stripe.TestHelpers.TestClock) => void;
  metrics?: WebhookMetrics;
  /** Faults that must not fail the event (a notification that could not be sent). */
  onError?: (message: string, error: unknown) => void;
}

/** The metadata key (and Checkout `client_reference_id`) that names the Tollgate customer. */
export const TOLLGATE_CUSTOMER_KEY = 'tollgate_customer_id';

export type HandlerResult = 'applied' | 'ignored';

export class HandlerContext {
  readonly notifications: Notification[] = [];
  /** The event's `created` in epoch ms: the version every write of this event carries. */
  readonly created: number;
  /** What the handler wrote, committed with the event; reads through it see those writes. */
  readonly delivery: DeliveryWrites;
  /** Customers this event changed: the engine's caches drop them once the delivery committed. */
  readonly changedCustomers = new Set<string>();

  constructor(
    readonly deps: WebhookDependencies,
    readonly event: Stripe.Event,
    readonly actor: string = 'stripe',
  ) {
    this.created = event.created * 1000;
    this.delivery = deliveryWrites(deps.tollgate.store);
  }

  get store() {
    return this.delivery.store;
  }

  get catalog() {
    return this.deps.tollgate.catalog;
  }

  /**
   * The object as of this event, or null when an event created later was already applied to it. On a
   * tie (Stripe's `created` has whole seconds, and one test clock step emits many events in the same
   * second) the order is unknown, so the object is read again from Stripe, which is never stale.
   */
  async current<T extends { id?: string }>(
    object: T,
    reread: () => Promise<T>,
    options: { rereadUnseen?: boolean } = {},
  ): Promise<T | null> {
    if (!object.id) return object;
    const applied = await this.store.getObjectVersion(object.id);
    if (applied === undefined) return options.rereadUnseen ? reread() : object;
    if (this.created > applied) return object;
    if (this.created < applied) return null;
    return reread();
  }

  /** Records that this event's state of the object is applied (call after the writes). */
  async applied(objectId: string | null | undefined): Promise<void> {
    if (objectId) await this.store.setObjectVersion(objectId, this.created);
  }

  /**
   * The Tollgate customer of a Stripe customer: the one linked to it, else the one its metadata (or a
   * Checkout reference) names, which is then linked. Undefined for Stripe customers Tollgate does not
   * manage (another app on the same account): their events are ignored.
   */
  async customerFor(stripeCustomerId: string | null, named?: string | null): Promise<Customer | undefined> {
    if (stripeCustomerId) {
      const linked = await this.store.getCustomerByStripeId(stripeCustomerId);
      if (linked) return linked;
    }
    let tollgateId = named ?? null;
    if (!tollgateId && stripeCustomerId) {
      const stripeCustomer = await this.deps.stripe.customers
        .retrieve(stripeCustomerId)
        .catch((error: unknown) => {
          // Gone from Stripe (or never there): nothing of Tollgate's to apply it to.
          if ((error as { statusCode?: number }).statusCode === 404) return undefined;
          throw error;
        });
      if (stripeCustomer && !stripeCustomer.deleted)
        tollgateId = stripeCustomer.metadata?.[TOLLGATE_CUSTOMER_KEY] ?? null;
    }
    if (!tollgateId) return undefined;
    const customer = await this.store.getCustomer(tollgateId);
    if (!customer || !stripeCustomerId || customer.stripeCustomerId === stripeCustomerId) return customer;
    return this.update(customer, { stripeCustomerId }, 'customer.linked');
  }

  /**
   * Applies a change to a customer (held with the delivery's writes). A status change is audited with
   * the plans on either side, and a failing account served again is notified as reactivated.
   */
  async update(customer: Customer, change: CustomerChange, action?: string): Promise<Customer> {
    const changed = Object.entries(change).filter(
      ([key, value]) => (customer as unknown as Record<string, unknown>)[key] !== value,
    );
    if (changed.length === 0) return customer;
    const updated = this.delivery.updateCustomer(customer, {
      ...change,
      updatedAt: this.deps.tollgate.clock.now(),
    });
    // Every instance drops its cached copy once the delivery committed, rather than within its
    // customer cache time: the gate must not serve the old plan, status or period.
    this.changedCustomers.add(customer.id);
    if (action) await this.audit(action, customer.id, Object.fromEntries(changed));
    if (updated.status !== customer.status || updated.plan !== customer.plan) {
      await this.audit('billing.status_changed', customer.id, {
        from: customer.status,
        to: updated.status,
        fromPlan: customer.plan,
        toPlan: updated.plan,
      });
    }
    const grace = this.deps.gracePeriodMs;
    const before = resolveAccess(customer, this.catalog, this.created, grace).status;
    const after = resolveAccess(updated, this.catalog, this.created, grace).status;
    if ((before === 'past_due' || before === 'suspended') && (after === 'active' || after === 'trialing')) {
      this.notify('reactivated', customer.id, { plan: updated.plan, previousStatus: before });
    }
    return updated;
  }

  notify(type: NotificationType, customerId: string, data: Record<string, unknown>): void {
    this.notifications.push({
      type,
      customerId,
      data: { ...data, stripeEventId: this.event.id },
      at: this.created,
    });
  }

  async audit(action: string, customerId: string | null, details: NewAuditEntry['details']): Promise<void> {
    await this.store.appendAudit({
      at: this.deps.tollgate.clock.now(),
      actor: this.actor,
      action,
      customerId,
      details: { ...details, stripeEventId: this.event.id },
    });
  }
}

export interface WebhookHandler {
  /** Event types this handler applies. */
  readonly types: readonly string[];
  handle(context: HandlerContext): Promise<HandlerResult>;
}
