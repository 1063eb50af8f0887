/**
 * What a billing request should do, decided without I/O (STYLE principle 4: compute, then act).
 * `planChange(state, intent)` looks at the customer, the subscription as Stripe has it now and the
 * catalog, and returns one action for the billing service to perform, or a refusal as a value. A
 * dry run is this function alone, and every rule here is tested without Stripe.
 *
 * The rules (docs/decisions/004-plan-changes.md):
 * - subscribe: the plan's trial (its trial days, else STRIPE_TRIAL_PERIOD_DAYS), with or without a
 *   card. Without one the trial pauses at its end unless a card was added; with one Stripe charges it
 *   when the trial ends (a failing card then enters dunning). `trial: false` skips the trial: the
 *   card is charged at once. One trial per customer, however it started and ended: after one, a card
 *   is charged at once, and without a card the subscribe is refused (a card or Checkout is required).
 * - upgrade (a dearer plan, by yearly amount): now, the prorated difference invoiced and charged at
 *   once (`always_invoice`), so higher limits are paid for before they are used.
 * - downgrade: now, the unused time credited on the next invoice (`create_prorations`).
 * - cancel: at the period end unless `immediate`; a paused subscription is canceled at once.
 * - resume: undoes a pending cancellation, or resumes a paused subscription.
 * - negotiated prices: a customer's own price for a plan and interval is sold instead of the catalog's
 *   (subscribe, change, Checkout), and compared by its amount; moving between the catalog's and the
 *   negotiated price of the same plan and interval is a change (docs/decisions/013-custom-prices.md).
 * - overage: a monthly subscription to a plan with overage carries the plan's metered price as a
 *   second item (`overagePriceId`); a plan change sets that item to the new plan's metered price, or
 *   removes it (null). Yearly subscriptions carry none: Stripe requires one interval per subscription
 *   and the metered prices are monthly (docs/decisions/005-meter-outbox.md).
 */
import { type Catalog, findPlan, type Plan } from '../catalog/catalog.js';
import type { BillingInterval, Customer } from '../ports.js';
import { type CustomerPrice, customerPriceFor } from './custom-prices.js';
import type { ProrationMode } from './payment-gateway.js';
import { type PriceIndex, priceFor, type SubscriptionSnapshot } from './subscription-state.js';

export interface BillingState {
  customer: Customer;
  /** The customer's subscription as Stripe has it now (read just before planning), or null. */
  subscription: SubscriptionSnapshot | null;
  catalog: Catalog;
  prices: PriceIndex;
  /** The metered overage price of a plan with overage (pushed catalog or STRIPE_METERED_PRICE_ID). */
  overagePrice?: (planId: string) => string | null | undefined;
  /** The metered prices of a plan's operations with overage (pushed catalog), in operation order. */
  operationPrices?: (planId: string) => readonly string[];
  /** Whether the customer has had a trial before (read when a subscription would start one). */
  trialUsed?: boolean;
  /** The customer's active negotiated prices: sold instead of the catalog's (custom-prices.ts). */
  customerPrices?: readonly CustomerPrice[];
}

export type BillingIntent =
  | {
      kind: 'subscribe';
      planId: string;
      interval?: BillingInterval;
      paymentMethodId?: string | null;
      /** False skips the plan's trial (a card is then required); default true. */
      trial?: boolean;
      /** STRIPE_TRIAL_PERIOD_DAYS: the trial of plans that declare none. */
      defaultTrialDays: number;
    }
  | { kind: 'change'; planId: string; interval?: BillingInterval }
  | { kind: 'cancel'; immediate: boolean }
  | { kind: 'resume' }
  | { kind: 'checkout'; planId: string; interval?: BillingInterval };

export type BillingAction =
  | {
      kind: 'create_subscription';
      planId: string;
      interval: BillingInterval;
      priceId: string;
      /** The metered overage item's price; null when the plan has none or the interval is yearly. */
      overagePriceId: string | null;
      /** The per-operation metered items' prices; absent when none. */
      operationPriceIds?: readonly string[];
      trialDays: number;
      paymentMethodId: string | null;
      /** A paused or incomplete subscription the new one replaces (canceled once the new one exists). */
      replaces: string | null;
    }
  | {
      kind: 'change_price';
      subscriptionId: string;
      planId: string;
      interval: BillingInterval;
      priceId: string;
      /** The metered item after the change: its price, or null to remove it. */
      overagePriceId: string | null;
      /** The per-operation metered items after the change; absent when none. */
      operationPriceIds?: readonly string[];
      direction: 'upgrade' | 'downgrade';
      proration: ProrationMode;
    }
  | { kind: 'cancel_at_period_end'; subscriptionId: string }
  | { kind: 'cancel_now'; subscriptionId: string }
  | { kind: 'undo_cancel'; subscriptionId: string }
  | { kind: 'resume_paused'; subscriptionId: string }
  | {
      kind: 'start_checkout';
      planId: string;
      interval: BillingInterval;
      priceId: string;
      overagePriceId: string | null;
      operationPriceIds?: readonly string[];
    }
  | { kind: 'nothing'; reason: string }
  | { kind: 'refuse'; code: 'invalid_request' | 'conflict'; message: string; path?: string };

type Refusal = Extract<BillingAction, { kind: 'refuse' }>;

const refuse = (code: Refusal['code'], message: string, path?: string): Refusal =>
  path === undefined ? { kind: 'refuse', code, message } : { kind: 'refuse', code, message, path };

/** Statuses in which a subscription still bills (or will): a second one must not be started. */
const liveStatuses = new Set(['trialing', 'active', 'past_due', 'unpaid']);

/** What one interval of a plan costs per year, to compare plans sold on different intervals. */
export function yearlyAmount(plan: Plan, interval: BillingInterval): number {
  const amount = plan.prices[interval] ?? 0;
  return interval === 'month' ? amount * 12 : amount;
}

/**
 * The metered overage price a subscription to `plan` on `interval` carries, or null. Only monthly:
 * the metered prices `plans push` creates are monthly, and Stripe refuses items of mixed intervals.
 */
export function overagePriceFor(state: BillingState, plan: Plan, interval: BillingInterval): string | null {
  if (plan.overage === null || interval !== 'month') return null;
  return state.overagePrice?.(plan.id) ?? null;
}

/**
 * The metered items of a subscription to `plan` on `interval`: the credit overage's and, when the plan
 * bills operations' overage, theirs (monthly only, like the credit overage).
 */
function meteredPricesFor(
  state: BillingState,
  plan: Plan,
  interval: BillingInterval,
): { overagePriceId: string | null; operationPriceIds?: readonly string[] } {
  const overagePriceId = overagePriceFor(state, plan, interval);
  const operationPriceIds = interval === 'month' ? (state.operationPrices?.(plan.id) ?? []) : [];
  return operationPriceIds.length === 0 ? { overagePriceId } : { overagePriceId, operationPriceIds };
}

/**
 * The paid plan and its price for an intent (the customer's negotiated price when it has one), or the
 * refusal that says why there is none. `yearly` is what it costs per year, to tell up from down.
 */
function sellablePrice(
  state: BillingState,
  planId: string,
  interval: BillingInterval,
  field: string,
): { kind: 'sellable'; plan: Plan; priceId: string; yearly: number; negotiated: boolean } | Refusal {
  const plan = findPlan(state.catalog, planId);
  if (!plan) return refuse('invalid_request', `unknown plan '${planId}'`, field);
  if (plan.id === state.catalog.defaultPlan)
    return refuse(
      'invalid_request',
      `'${planId}' is the default plan and needs no subscription; cancel to return to it`,
      field,
    );
  const negotiated = customerPriceFor(state.customerPrices, plan.id, interval);
  if (negotiated)
    return {
      kind: 'sellable',
      plan,
      priceId: negotiated.stripePriceId,
      yearly: interval === 'month' ? negotiated.amount * 12 : negotiated.amount,
      negotiated: true,
    };
  const priceId = priceFor(state.prices, plan.id, interval);
  if (!priceId)
    return refuse(
      'invalid_request',
      `plan '${planId}' has no Stripe price for the ${interval}ly interval (not sold, or not pushed with \`tollgate plans push\`)`,
      plan.prices[interval] === null ? 'interval' : field,
    );
  return { kind: 'sellable', plan, priceId, yearly: yearlyAmount(plan, interval), negotiated: false };
}

export function planChange(state: BillingState, intent: BillingIntent): BillingAction {
  const subscription = state.subscription;
  const live = subscription !== null && liveStatuses.has(subscription.status);
  const paused = subscription !== null && subscription.status === 'paused';

  switch (intent.kind) {
    case 'subscribe':
    case 'checkout': {
      const interval = intent.interval ?? 'month';
      const field = 'tier';
      const sellable = sellablePrice(state, intent.planId, interval, field);
      if (sellable.kind === 'refuse') return sellable;
      if (live)
        return refuse(
          'conflict',
          `already subscribed to '${state.customer.plan}'; change plans with POST /api/v1/billing/upgrade`,
        );
      if (intent.kind === 'checkout')
        return {
          kind: 'start_checkout',
          planId: sellable.plan.id,
          interval,
          priceId: sellable.priceId,
          ...meteredPricesFor(state, sellable.plan, interval),
        };
      const paymentMethodId = intent.paymentMethodId ?? null;
      const planTrialDays = sellable.plan.trialDays || intent.defaultTrialDays;
      const trialDays = intent.trial === false || state.trialUsed === true ? 0 : planTrialDays;
      if (paymentMethodId === null && trialDays === 0) {
        if (intent.trial === false)
          return refuse(
            'invalid_request',
            'a subscription without a trial needs a payment method',
            'payment_method_id',
          );
        if (state.trialUsed === true)
          return refuse(
            'conflict',
            'the free trial was used already: subscribe with a payment method or through Checkout',
          );
        return refuse(
          'invalid_request',
          `plan '${sellable.plan.id}' has no trial: a payment method is required`,
          'payment_method_id',
        );
      }
      return {
        kind: 'create_subscription',
        planId: sellable.plan.id,
        interval,
        priceId: sellable.priceId,
        ...meteredPricesFor(state, sellable.plan, interval),
        trialDays,
        paymentMethodId,
        replaces:
          subscription !== null && (paused || subscription.status === 'incomplete')
            ? subscription.subscriptionId
            : null,
      };
    }

    case 'change': {
      if (paused) return refuse('conflict', 'the subscription is paused; add a card and resume it first');
      if (!live || subscription === null)
        return refuse(
          'conflict',
          'no subscription to change; start one with POST /api/v1/billing/subscribe or /checkout',
        );
      const current = subscription.priceId === null ? undefined : state.prices.get(subscription.priceId);
      const interval = intent.interval ?? current?.interval ?? 'month';
      const sellable = sellablePrice(state, intent.planId, interval, 'new_tier');
      if (sellable.kind === 'refuse') return sellable;
      // The same plan and interval is a change only onto or off a negotiated price (another price id).
      const samePrice =
        subscription.priceId === sellable.priceId ||
        (!sellable.negotiated && current?.customerId === undefined);
      if (current && current.planId === sellable.plan.id && current.interval === interval && samePrice)
        return { kind: 'nothing', reason: `already on '${sellable.plan.id}' billed ${interval}ly` };
      const currentPlan = current ? findPlan(state.catalog, current.planId) : undefined;
      const before =
        current?.amount !== undefined
          ? current.interval === 'month'
            ? current.amount * 12
            : current.amount
          : currentPlan && current
            ? yearlyAmount(currentPlan, current.interval)
            : 0;
      const upgrade = sellable.yearly > before;
      return {
        kind: 'change_price',
        subscriptionId: subscription.subscriptionId,
        planId: sellable.plan.id,
        interval,
        priceId: sellable.priceId,
        ...meteredPricesFor(state, sellable.plan, interval),
        direction: upgrade ? 'upgrade' : 'downgrade',
        proration: upgrade ? 'always_invoice' : 'create_prorations',
      };
    }

    case 'cancel': {
      if (subscription === null || (!live && !paused))
        return refuse('conflict', 'there is no subscription to cancel');
      if (intent.immediate || paused)
        return { kind: 'cancel_now', subscriptionId: subscription.subscriptionId };
      if (subscription.cancelAtPeriodEnd)
        return { kind: 'nothing', reason: 'the subscription already ends at the period end' };
      return { kind: 'cancel_at_period_end', subscriptionId: subscription.subscriptionId };
    }

    case 'resume': {
      if (paused && subscription !== null)
        return { kind: 'resume_paused', subscriptionId: subscription.subscriptionId };
      if (!live || subscription === null) return refuse('conflict', 'there is no subscription to resume');
      if (!subscription.cancelAtPeriodEnd)
        return { kind: 'nothing', reason: 'the subscription is not set to end' };
      return { kind: 'undo_cancel', subscriptionId: subscription.subscriptionId };
    }
  }
}
