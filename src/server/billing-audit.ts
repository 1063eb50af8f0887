/**
 * The audit trail of what a customer does to its own billing (subscribe, start a trial, change plan,
 * cancel, resume), through its API key or the billing page. The billing service applies Stripe's
 * answer at once, so the webhooks that follow change nothing and write nothing: without these
 * entries the trail would miss every customer action. Each entry names the actor and the plan and
 * status before and after; a status change also writes `billing.status_changed`, as a webhook would,
 * because revenue's churn and trial conversion count those.
 */
import { type Catalog, findPlan } from '../core/catalog/catalog.js';
import type { Customer, Store } from '../core/ports.js';
import type { BillingOutcome } from '../stripe/billing/billing-service.js';
import type { CallerOf } from './api-router.js';

/** Who an audit entry names for a customer route: the key, or the billing page's session. */
export function customerActor(caller: CallerOf<'customer'>): string {
  return caller.kind === 'customer' ? `customer_key:${caller.keyId}` : 'billing_session';
}

/** A plan's price per month in minor units, to tell an upgrade from a downgrade. */
function monthlyPrice(catalog: Catalog, planId: string): number {
  const prices = findPlan(catalog, planId)?.prices;
  if (!prices) return 0;
  return prices.month ?? Math.floor((prices.year ?? 0) / 12);
}

function changeAction(
  catalog: Catalog,
  before: Customer,
  after: Customer,
  direction: BillingOutcome['direction'],
): string {
  // Same plan and interval: moved onto (or off) a negotiated price (docs/decisions/013).
  if (before.plan === after.plan && before.billingInterval === after.billingInterval)
    return 'subscription.price_changed';
  if (before.plan === after.plan) return 'subscription.interval_changed';
  const from = monthlyPrice(catalog, before.plan);
  const to = monthlyPrice(catalog, after.plan);
  if (to === from) return 'subscription.plan_changed';
  // The flow's own direction compares what the customer pays (a negotiated price too).
  const up = direction === undefined ? to > from : direction === 'upgrade';
  return up ? 'subscription.upgraded' : 'subscription.downgraded';
}

/** The audit action of an outcome, or null when it changed nothing. */
function actionOf(catalog: Catalog, outcome: BillingOutcome): string | null {
  const { before, customer: after } = outcome;
  switch (outcome.action) {
    case 'nothing':
      return null;
    case 'create_subscription':
      return after.status === 'trialing' ? 'subscription.trial_started' : 'subscription.started';
    case 'change_price':
      return changeAction(catalog, before, after, outcome.direction);
    case 'cancel_at_period_end':
      return 'subscription.cancel_scheduled';
    case 'cancel_now':
      return 'subscription.canceled';
    case 'undo_cancel':
      return 'subscription.cancel_undone';
    case 'resume_paused':
      return 'subscription.resumed';
  }
}

export async function auditBillingOutcome(
  store: Store,
  catalog: Catalog,
  at: number,
  actor: string,
  outcome: BillingOutcome,
): Promise<string | null> {
  const action = actionOf(catalog, outcome);
  if (action === null) return null;
  const { before, customer: after, charge } = outcome;
  const details: Record<string, unknown> = {
    fromPlan: before.plan,
    toPlan: after.plan,
    fromStatus: before.status,
    toStatus: after.status,
    interval: after.billingInterval,
    subscriptionId: after.stripeSubscriptionId,
  };
  if (before.billingInterval !== null && before.billingInterval !== after.billingInterval)
    details.fromInterval = before.billingInterval;
  if (after.status === 'trialing' && after.trialEnd !== null) details.trialEndAt = after.trialEnd;
  if (outcome.action === 'cancel_at_period_end') details.endsAt = after.periodEnd;
  if (charge !== null) {
    details.amountCharged = charge.amountPaid;
    details.currency = charge.currency;
    details.invoiceId = charge.invoiceId;
  }
  await store.appendAudit({ at, actor, action, customerId: after.id, details });
  if (before.status !== after.status) {
    await store.appendAudit({
      at,
      actor,
      action: 'billing.status_changed',
      customerId: after.id,
      details: { from: before.status, to: after.status, fromPlan: before.plan, toPlan: after.plan },
    });
  }
  return action;
}
