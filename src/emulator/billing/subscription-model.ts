/**
 * Building and reading subscription objects: the stored subscription, its items (stored separately, as
 * Stripe's `/v1/subscription_items` are objects of their own), and their current period.
 */
import type { Engine } from '../engine.js';
import { newId } from '../ids.js';
import { planOf } from '../resources/prices.js';
import type { ApiObject, Price, Subscription, SubscriptionItem } from '../types.js';

export interface SubscriptionNote extends Record<string, unknown> {
  periodStart: number;
  periodEnd: number;
  trialWillEndSent: boolean;
  /** True while the create call runs, so status changes do not emit `updated` before `created`. */
  creating: boolean;
}

export function itemsOf(engine: Engine, subscriptionId: string): SubscriptionItem[] {
  return engine.store.all('subscription_item').filter((item) => item.subscription === subscriptionId);
}

export function noteOf(engine: Engine, subscription: Subscription): Partial<SubscriptionNote> {
  return engine.store.note<SubscriptionNote>(subscription.id);
}

export function periodOf(engine: Engine, subscription: Subscription): { start: number; end: number } {
  const note = noteOf(engine, subscription);
  return {
    start: note.periodStart ?? subscription.start_date,
    end: note.periodEnd ?? subscription.start_date,
  };
}

/** Sets the current period on the subscription's note and every item, as the API shows it on items. */
export function setPeriod(engine: Engine, subscription: Subscription, start: number, end: number): void {
  engine.store.setNote(subscription.id, { periodStart: start, periodEnd: end });
  for (const item of itemsOf(engine, subscription.id)) {
    item.current_period_start = start;
    item.current_period_end = end;
  }
  engine.store.touch();
}

export function createItem(
  engine: Engine,
  subscription: Subscription,
  price: Price,
  quantity: number | undefined,
  metadata: Record<string, string>,
  created: number,
): SubscriptionItem {
  const period = periodOf(engine, subscription);
  const item: SubscriptionItem = {
    id: newId('si'),
    object: 'subscription_item',
    billing_thresholds: null,
    created,
    current_period_end: period.end,
    current_period_start: period.start,
    current_trial: null,
    discounts: [],
    metadata,
    plan: planOf(price),
    price,
    ...(price.recurring?.usage_type === 'metered' ? {} : { quantity: quantity ?? 1 }),
    subscription: subscription.id,
    tax_rates: [],
  };
  engine.store.insert<'subscription_item'>(item);
  return item;
}

/** Renders the live view: items with their current price, as Stripe embeds them. */
export function installSubscriptionRenderers(engine: Engine): void {
  const renderItem = (item: SubscriptionItem): SubscriptionItem => {
    const price = engine.get('price', item.price.id);
    if (price === undefined) return item;
    return { ...item, price: structuredClone(price), plan: planOf(price) };
  };
  engine.addRenderer(
    'subscription_item',
    (object) => renderItem(object as unknown as SubscriptionItem) as unknown as ApiObject,
  );
  engine.addRenderer('subscription', (object) => {
    const subscription = object as unknown as Subscription;
    const items = itemsOf(engine, subscription.id).map((item) => renderItem(structuredClone(item)));
    return {
      ...subscription,
      items: { ...subscription.items, data: items, has_more: false },
    } as unknown as ApiObject;
  });
}

export function isLive(subscription: Subscription): boolean {
  return subscription.status !== 'canceled' && subscription.status !== 'incomplete_expired';
}

export function intervalOf(engine: Engine, subscription: Subscription): { interval: string; count: number } {
  const first = itemsOf(engine, subscription.id)[0];
  const recurring = first ? engine.get('price', first.price.id)?.recurring : undefined;
  return { interval: recurring?.interval ?? 'month', count: recurring?.interval_count ?? 1 };
}
