/**
 * Subscription items (`/v1/subscription_items`) and plan changes with proration.
 *
 * A price change mid-period credits the unused time of the old price and charges the remaining time of
 * the new one, as two proration invoice items (`create_prorations`, billed with the next invoice), an
 * immediate invoice (`always_invoice`) or nothing (`none`). Changing the billing interval restarts the
 * period and invoices at once, as Stripe does.
 */

import { emitUpdated, invoiceSubscription, viewSnapshot } from '../billing/lifecycle.js';
import { priceAmount } from '../billing/price-amount.js';
import { createItem, itemsOf, periodOf, setPeriod } from '../billing/subscription-model.js';
import type { Engine } from '../engine.js';
import { invalidRequest } from '../errors.js';
import { paginate } from '../pagination.js';
import { Params } from '../params.js';
import type { ApiHandler, Router } from '../router.js';
import { addInterval, prorate } from '../shapes.js';
import type { Price, Subscription } from '../types.js';
import { createInvoiceItem } from './invoice-items.js';
import { planOf } from './prices.js';
import { priceForItem } from './subscriptions.js';

type ProrationBehavior = 'create_prorations' | 'none' | 'always_invoice';
const PRORATION = ['create_prorations', 'none', 'always_invoice'] as const;

export function registerSubscriptionItems(api: Router<ApiHandler>): void {
  api
    .add('GET', '/v1/subscription_items', (engine, request) => {
      const subscription = request.params.requiredString('subscription');
      engine.require('subscription', subscription, 'subscription');
      const items = itemsOf(engine, subscription).map((item) => engine.view(item));
      return paginate(items, request.params, `/v1/subscription_items?subscription=${subscription}`);
    })
    .add('GET', '/v1/subscription_items/:id', (engine, request) =>
      engine.view(engine.require('subscription_item', request.pathParams.id!)),
    )
    .add('POST', '/v1/subscription_items', (engine, request) => {
      const { params } = request;
      const subscription = engine.require(
        'subscription',
        params.requiredString('subscription'),
        'subscription',
      );
      const before = viewSnapshot(engine, subscription);
      const now = engine.nowFor(subscription as never);
      changeItems(
        engine,
        subscription,
        [params],
        params.oneOf('proration_behavior', PRORATION) ?? 'create_prorations',
        now,
        false,
      );
      emitUpdated(engine, subscription, before);
      const created = itemsOf(engine, subscription.id).at(-1)!;
      return engine.view(created);
    })
    .add('POST', '/v1/subscription_items/:id', (engine, request) => {
      const item = engine.require('subscription_item', request.pathParams.id!);
      const subscription = engine.require('subscription', item.subscription);
      const before = viewSnapshot(engine, subscription);
      const now = engine.nowFor(subscription as never);
      const change = new Params({ ...request.params.raw, id: item.id });
      changeItems(
        engine,
        subscription,
        [change],
        request.params.oneOf('proration_behavior', PRORATION) ?? 'create_prorations',
        now,
        false,
      );
      emitUpdated(engine, subscription, before);
      return engine.view(engine.require('subscription_item', item.id));
    })
    .add('DELETE', '/v1/subscription_items/:id', (engine, request) => {
      const item = engine.require('subscription_item', request.pathParams.id!);
      const subscription = engine.require('subscription', item.subscription);
      if (itemsOf(engine, subscription.id).length === 1) {
        throw invalidRequest(
          'A subscription must have at least one active plan. To cancel a subscription, please use the cancel API endpoint.',
          'id',
        );
      }
      const before = viewSnapshot(engine, subscription);
      const now = engine.nowFor(subscription as never);
      const change = new Params({ ...request.params.raw, id: item.id, deleted: 'true' });
      changeItems(
        engine,
        subscription,
        [change],
        request.params.oneOf('proration_behavior', PRORATION) ?? 'create_prorations',
        now,
        false,
      );
      emitUpdated(engine, subscription, before);
      return { id: item.id, object: 'subscription_item', deleted: true };
    });
}

interface Change {
  from: { price: Price; quantity: number } | undefined;
  to: { price: Price; quantity: number } | undefined;
}

/**
 * `proration_date` of an update or a preview: prorations computed as though the change were made then.
 * Stripe's rules: within the current period, and not with `proration_behavior=none`.
 */
export function prorationDateOf(
  engine: Engine,
  subscription: Subscription,
  params: Params,
  behavior: ProrationBehavior,
): number | undefined {
  const date = params.integer('proration_date');
  if (date === undefined) return undefined;
  const name = params.name('proration_date');
  if (behavior === 'none')
    throw invalidRequest('proration_date cannot be used with proration_behavior=none.', name);
  const { start, end } = periodOf(engine, subscription);
  if (date < start || date >= end)
    throw invalidRequest('proration_date must be within the current period of the subscription.', name);
  return date;
}

/**
 * Applies `items[]` changes to a subscription and bills the difference per `proration_behavior`, the
 * prorations as of `prorationDate` when given (else `now`).
 */
export function changeItems(
  engine: Engine,
  subscription: Subscription,
  itemParams: Params[],
  prorationBehavior: ProrationBehavior,
  now: number,
  resetAnchor: boolean,
  prorationDate: number = now,
): void {
  const oldInterval = intervalKey(engine, subscription);
  const changes: Change[] = [];
  for (const [index, item] of itemParams.entries()) {
    const param = `items[${index}]`;
    const id = item.string('id');
    if (id === undefined) {
      const price = priceForItem(engine, item, param);
      const created = createItem(
        engine,
        subscription,
        price,
        item.integer('quantity'),
        item.metadata() ?? {},
        now,
      );
      changes.push({ from: undefined, to: { price, quantity: created.quantity ?? 0 } });
      continue;
    }
    const existing = engine.require('subscription_item', id, `${param}[id]`);
    if (existing.subscription !== subscription.id)
      throw invalidRequest(`Subscription item ${id} does not belong to this subscription.`, `${param}[id]`);
    const from = {
      price: engine.get('price', existing.price.id) ?? existing.price,
      quantity: existing.quantity ?? 0,
    };
    if (item.boolean('deleted')) {
      engine.store.remove(existing.id);
      changes.push({ from, to: undefined });
      continue;
    }
    const price =
      item.has('price') || item.has('price_data') ? priceForItem(engine, item, param) : from.price;
    existing.price = price;
    existing.plan = planOf(price);
    if (price.recurring?.usage_type !== 'metered')
      existing.quantity = item.integer('quantity') ?? existing.quantity ?? 1;
    const metadata = item.metadata(existing.metadata);
    if (metadata) existing.metadata = metadata;
    changes.push({ from, to: { price, quantity: existing.quantity ?? 0 } });
  }
  engine.store.touch();
  if (subscription.status === 'trialing' || subscription.status === 'incomplete') return;
  const { start, end } = periodOf(engine, subscription);
  const intervalChanged = intervalKey(engine, subscription) !== oldInterval;
  if (intervalChanged || resetAnchor) {
    // A new billing cycle starts now: credit the unused old period, then bill the new one in full.
    if (prorationBehavior !== 'none')
      createProrations(engine, subscription, changes, prorationDate, start, end, true);
    const [interval, count] = intervalKey(engine, subscription).split(':') as [string, string];
    const newEnd = addInterval(now, interval, Number(count));
    setPeriod(engine, subscription, now, newEnd);
    subscription.billing_cycle_anchor = now;
    invoiceSubscription(engine, subscription, {
      reason: 'subscription_update',
      periodStart: now,
      periodEnd: newEnd,
      immediate: true,
      at: now,
    });
    return;
  }
  if (prorationBehavior === 'none') return;
  createProrations(engine, subscription, changes, prorationDate, start, end, false);
  if (prorationBehavior === 'always_invoice') {
    invoiceSubscription(engine, subscription, {
      reason: 'subscription_update',
      periodStart: now,
      periodEnd: end,
      immediate: true,
      at: now,
      includeLicensed: false,
    });
  }
}

function intervalKey(engine: Engine, subscription: Subscription): string {
  const first = itemsOf(engine, subscription.id)[0];
  const recurring = first ? (engine.get('price', first.price.id) ?? first.price).recurring : null;
  return `${recurring?.interval ?? 'month'}:${recurring?.interval_count ?? 1}`;
}

function createProrations(
  engine: Engine,
  subscription: Subscription,
  changes: Change[],
  now: number,
  start: number,
  end: number,
  creditOnly: boolean,
): void {
  const remaining = Math.max(0, end - now);
  const whole = end - start;
  const date = new Date(now * 1000).toISOString().slice(0, 10);
  for (const change of changes) {
    if (
      change.from &&
      change.to &&
      change.from.price.id === change.to.price.id &&
      change.from.quantity === change.to.quantity
    )
      continue;
    for (const [side, sign] of [
      ['from', -1],
      ['to', 1],
    ] as const) {
      const line = change[side];
      if (line === undefined || line.price.recurring?.usage_type === 'metered') continue;
      if (creditOnly && side === 'to') continue;
      const amount = sign * prorate(priceAmount(line.price, line.quantity), remaining, whole);
      if (amount === 0) continue;
      const productId = typeof line.price.product === 'string' ? line.price.product : line.price.product.id;
      const productName = engine.get('product', productId)?.name ?? productId;
      createInvoiceItem(engine, {
        customer: String(subscription.customer),
        amount,
        currency: line.price.currency,
        description: `${sign < 0 ? 'Unused' : 'Remaining'} time on ${line.quantity} × ${productName} after ${date}`,
        price: line.price,
        quantity: line.quantity,
        subscription: subscription.id,
        proration: true,
        period: { start: now, end },
      });
    }
  }
}
