/**
 * Reconciliation: re-read customers, subscriptions and invoices from Stripe (paginated) and repair
 * what missed webhooks left wrong. It plans first and then applies (dry run = the plan only), and
 * every change is reported with the fields before and after. Safe on a schedule: it writes only where
 * Stripe and the mirror differ, through the same `customerSubscriptionPatch` the webhooks use (the
 * customer's plan from all its subscriptions), and it does not stamp object versions (a later event,
 * of a later time, still applies). Every subscription is mirrored as Stripe has it.
 */
import type Stripe from 'stripe';
import type { InvoiceRecord } from '../../core/billing/billing-records.js';
import { mirrorReadSubscription } from '../../core/billing/subscription-mirror.js';
import {
  type CustomerChange,
  customerSubscriptionPatch,
  freeTier,
  type PriceIndex,
} from '../../core/billing/subscription-state.js';
import type { Customer, Store } from '../../core/ports.js';
import type { Tollgate } from '../../core/tollgate.js';
import { subscriptionSnapshot } from '../gateway/subscription-snapshot.js';
import { idOf, invoiceRecordFromStripe } from '../webhooks/stripe-snapshots.js';
import { TOLLGATE_CUSTOMER_KEY } from '../webhooks/webhook-context.js';

export interface ReconcileOptions {
  tollgate: Tollgate;
  stripe: Stripe;
  prices: () => PriceIndex | Promise<PriceIndex>;
  /** Report what would change, change nothing. */
  dryRun?: boolean;
  /** Told each change as it is found (the CLI prints it). */
  onChange?: (change: ReconcileChange) => void;
}

export interface ReconcileChange {
  kind: 'customer' | 'invoice';
  /** The Tollgate customer (null for an invoice of an unlinked Stripe customer). */
  customerId: string | null;
  /** The Stripe object the change comes from. */
  stripeId: string;
  fields: Record<string, { from: unknown; to: unknown }>;
}

export interface ReconcileReport {
  dryRun: boolean;
  customersChecked: number;
  invoicesChecked: number;
  changes: ReconcileChange[];
}

function diff(before: Record<string, unknown>, after: Record<string, unknown>) {
  const fields: Record<string, { from: unknown; to: unknown }> = {};
  for (const [key, to] of Object.entries(after)) {
    if (key === 'stripeUpdatedAt' || key === 'updatedAt') continue;
    if (before[key] !== to) fields[key] = { from: before[key] ?? null, to };
  }
  return fields;
}

export async function reconcile(options: ReconcileOptions): Promise<ReconcileReport> {
  const { tollgate, stripe } = options;
  const { store, catalog } = tollgate;
  const dryRun = options.dryRun ?? false;
  const prices = await options.prices();
  const now = tollgate.clock.now();
  const changes: ReconcileChange[] = [];
  const report = (change: ReconcileChange) => {
    if (Object.keys(change.fields).length === 0) return false;
    changes.push(change);
    options.onChange?.(change);
    return true;
  };

  const subscriptionsByCustomer = new Map<string, Stripe.Subscription[]>();
  for await (const subscription of stripe.subscriptions.list({ status: 'all', limit: 100 })) {
    const owner = idOf(subscription.customer) ?? '';
    subscriptionsByCustomer.set(owner, [...(subscriptionsByCustomer.get(owner) ?? []), subscription]);
  }

  let customersChecked = 0;
  const linked = new Map<string, string>();
  for await (const stripeCustomer of stripe.customers.list({ limit: 100 })) {
    let customer = await store.getCustomerByStripeId(stripeCustomer.id);
    const named = stripeCustomer.metadata?.[TOLLGATE_CUSTOMER_KEY];
    if (!customer && named) customer = await store.getCustomer(named);
    if (!customer) continue;
    customersChecked += 1;
    linked.set(stripeCustomer.id, customer.id);
    let change: CustomerChange = {};
    if (customer.stripeCustomerId !== stripeCustomer.id) change.stripeCustomerId = stripeCustomer.id;
    const subscriptions = subscriptionsByCustomer.get(stripeCustomer.id) ?? [];
    if (!dryRun)
      for (const subscription of subscriptions)
        await mirrorReadSubscription(store, subscriptionSnapshot(subscription));
    // The customer's plan from the whole set, by the rule the webhooks follow (decision 008).
    const { patch, subscription } = customerSubscriptionPatch(
      customer,
      subscriptions.map(subscriptionSnapshot),
      prices,
      catalog,
      now,
    );
    change = { ...change, ...patch };
    const fields = diff(customer as unknown as Record<string, unknown>, change);
    if (
      report({
        kind: 'customer',
        customerId: customer.id,
        stripeId: subscription?.subscriptionId ?? stripeCustomer.id,
        fields,
      })
    ) {
      if (!dryRun) {
        await tollgate.updateCustomer(customer.id, change);
        await store.appendAudit({
          at: now,
          actor: 'reconcile',
          action: 'reconcile.customer',
          customerId: customer.id,
          details: { fields },
        });
      }
    }
  }

  // Customers whose Stripe customer is gone (test data reset, deleted in the Dashboard) are unlinked and
  // back on the free plan: billing them failed with a 409 that names this command, and their next
  // subscription or Checkout creates a new Stripe customer.
  for await (const customer of customersLinkedToStripe(store)) {
    const stripeCustomerId = customer.stripeCustomerId ?? '';
    if (linked.has(stripeCustomerId) || (await stripeKnowsCustomer(stripe, stripeCustomerId))) continue;
    customersChecked += 1;
    const change: CustomerChange = { stripeCustomerId: null, ...freeTier(catalog, null, 'active') };
    const fields = diff(customer as unknown as Record<string, unknown>, change);
    if (
      report({ kind: 'customer', customerId: customer.id, stripeId: stripeCustomerId, fields }) &&
      !dryRun
    ) {
      await tollgate.updateCustomer(customer.id, change);
      await store.appendAudit({
        at: now,
        actor: 'reconcile',
        action: 'reconcile.customer',
        customerId: customer.id,
        details: { fields, reason: 'the Stripe customer no longer exists' },
      });
    }
  }

  let invoicesChecked = 0;
  for await (const invoice of stripe.invoices.list({ limit: 100 })) {
    invoicesChecked += 1;
    const stored = await store.getInvoice(invoice.id ?? '');
    const stripeCustomerId = idOf(invoice.customer) ?? '';
    const customerId = linked.get(stripeCustomerId) ?? stored?.customerId ?? null;
    // The stored read time is kept: this write replaces the mirror but never blocks a later event.
    const record: InvoiceRecord = invoiceRecordFromStripe(
      invoice,
      customerId,
      stored?.stripeUpdatedAt ?? invoice.created * 1000,
    );
    const fields = diff(
      (stored ?? {}) as unknown as Record<string, unknown>,
      record as unknown as Record<string, unknown>,
    );
    if (report({ kind: 'invoice', customerId, stripeId: record.id, fields }) && !dryRun)
      await store.upsertInvoice(record);
  }

  return { dryRun, customersChecked, invoicesChecked, changes };
}

async function* customersLinkedToStripe(store: Store): AsyncGenerator<Customer> {
  let after: string | undefined;
  for (;;) {
    const page = await store.listCustomers({ limit: 100, ...(after ? { after } : {}) });
    for (const customer of page.customers) if (customer.stripeCustomerId) yield customer;
    if (!page.hasMore || page.customers.length === 0) return;
    after = page.customers[page.customers.length - 1]?.id;
  }
}

/** False only when Stripe says the customer does not exist or was deleted; other failures throw. */
async function stripeKnowsCustomer(stripe: Stripe, id: string): Promise<boolean> {
  try {
    const customer = await stripe.customers.retrieve(id);
    return !('deleted' in customer && customer.deleted);
  } catch (error) {
    if ((error as { code?: string }).code === 'resource_missing') return false;
    throw error;
  }
}

/** One line per change, for the CLI and logs. */
export function describeChange(change: ReconcileChange): string {
  const fields = Object.entries(change.fields)
    .map(([field, { from, to }]) => `${field}: ${JSON.stringify(from)} -> ${JSON.stringify(to)}`)
    .join(', ');
  return `${change.kind} ${change.customerId ?? '(unlinked)'} from ${change.stripeId}: ${fields}`;
}
