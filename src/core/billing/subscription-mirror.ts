/**
 * Reading and writing the subscription mirror the way every path does (webhooks, billing answers,
 * reconciliation): mirror what Stripe said, then derive the customer from the whole set
 * (docs/decisions/008). Stripe is reached only through the `retrieve` function given, so the core
 * stays free of the SDK.
 */
import type { Customer, Store } from '../ports.js';
import type { SubscriptionRecord, SubscriptionSnapshot } from './subscription-state.js';

/** Reads one subscription from Stripe; undefined when Stripe no longer has it. */
export type RetrieveSubscription = (id: string) => Promise<SubscriptionSnapshot | undefined>;

/**
 * The customer's mirrored subscriptions. A current subscription recorded on the customer before the
 * mirror existed (an upgrade from an older version) is read from Stripe once and mirrored at
 * `readAt`, so the set the plan is derived from is complete.
 */
export async function mirroredSubscriptions(
  store: Store,
  customer: Customer,
  stripeCustomerId: string,
  readAt: number,
  retrieve: RetrieveSubscription,
): Promise<SubscriptionRecord[]> {
  const mirrored = await store.listSubscriptions(stripeCustomerId);
  const currentId = customer.stripeSubscriptionId;
  if (currentId === null || mirrored.some((subscription) => subscription.subscriptionId === currentId))
    return mirrored;
  const current = await retrieve(currentId);
  if (!current) return mirrored;
  const record: SubscriptionRecord = { ...current, stripeUpdatedAt: readAt };
  await store.upsertSubscription(record);
  return record.stripeCustomerId === stripeCustomerId ? [...mirrored, record] : mirrored;
}

/**
 * Mirrors a state read from Stripe outside an event (an API answer, reconciliation). Its Stripe time
 * is not known, so the stored read time is kept (a new row takes the subscription's creation): the
 * state is replaced now, and any later event of the subscription still applies over it.
 */
export async function mirrorReadSubscription(store: Store, snapshot: SubscriptionSnapshot): Promise<void> {
  const stored = await store.getSubscription(snapshot.subscriptionId);
  await store.upsertSubscription({
    ...snapshot,
    stripeUpdatedAt: stored?.stripeUpdatedAt ?? snapshot.created,
  });
}
