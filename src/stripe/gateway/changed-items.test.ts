/**
 * `changedItems`, the items of a plan change, on subscription shapes as Stripe returns them: the plan
 * item takes the new price, items already on one of the new plan's per-operation prices stay, the
 * credit-overage item switches its price in place, missing per-operation prices are added and the
 * other metered items deleted.
 */
import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { changedItems } from './stripe-gateway.js';

type Kind = 'plan' | 'overage' | 'operation_overage';

function item(id: string, price: string, kind: Kind): Stripe.SubscriptionItem {
  return {
    id,
    price: {
      id: price,
      recurring: { usage_type: kind === 'plan' ? 'licensed' : 'metered' },
      // What `plans push` sets on its metered prices.
      metadata: kind === 'plan' ? {} : { tollgate_kind: kind },
    },
  } as unknown as Stripe.SubscriptionItem;
}

function subscription(...items: Stripe.SubscriptionItem[]): Stripe.Subscription {
  return { items: { data: items } } as unknown as Stripe.Subscription;
}

describe('changedItems', () => {
  // An operation's item first: the credit item is found by its price, not its place.
  const current = subscription(
    item('si_plan', 'price_pro', 'plan'),
    item('si_capture', 'price_pro_capture', 'operation_overage'),
    item('si_credits', 'price_pro_overage', 'overage'),
    item('si_search', 'price_pro_search', 'operation_overage'),
  );

  it('keeps shared operation prices, adds missing ones, switches the credit item and deletes the rest', () => {
    expect(
      changedItems(current, 'si_plan', {
        priceId: 'price_team',
        overagePriceId: 'price_team_overage',
        operationPriceIds: ['price_pro_search', 'price_team_scrape'],
      }),
    ).toEqual([
      { id: 'si_plan', price: 'price_team' },
      { price: 'price_team_scrape' },
      { id: 'si_credits', price: 'price_team_overage' },
      { id: 'si_capture', deleted: true },
    ]);
  });

  it('deletes every metered item for a plan without overage', () => {
    expect(changedItems(current, 'si_plan', { priceId: 'price_starter', overagePriceId: null })).toEqual([
      { id: 'si_plan', price: 'price_starter' },
      { id: 'si_capture', deleted: true },
      { id: 'si_credits', deleted: true },
      { id: 'si_search', deleted: true },
    ]);
  });

  it('adds every metered item when moving from a plan without any', () => {
    const plain = subscription(item('si_plan', 'price_starter', 'plan'));
    expect(
      changedItems(plain, 'si_plan', {
        priceId: 'price_pro',
        overagePriceId: 'price_pro_overage',
        operationPriceIds: ['price_pro_search'],
      }),
    ).toEqual([
      { id: 'si_plan', price: 'price_pro' },
      { price: 'price_pro_search' },
      { price: 'price_pro_overage' },
    ]);
  });
});
