/**
 * Deterministic idempotency keys for calls that change something at Stripe (STYLE principle 9). A key
 * names the operation and what it acts on, then a token that tells one request from the next:
 *
 *   tollgate:<operation>:<customer id>:<what it acts on...>:<token>
 *
 * - The token is `r-<Idempotency-Key>` when the client sent that header, so its own retries replay.
 * - Otherwise, for subscription changes, it is `s-<state version>`: a hash of the customer's billing
 *   fields and `updatedAt`. A retry of a request that failed before Tollgate recorded anything sees the
 *   same state and sends the same key, so Stripe replays the first answer instead of acting twice; once
 *   the change is recorded the state differs, and a later, genuine request gets a new key.
 * - For Checkout and Portal sessions (which change nothing by themselves) it is `t-<minute>`: retries
 *   within the same minute get the same session.
 * - Creating the Stripe customer has the row's `updatedAt` as token: one per Tollgate customer, and a
 *   new one only after `reconcile` unlinked a Stripe customer that no longer exists.
 *
 * Never random: a random key would let a retry after a timeout create a second subscription.
 */
import { createHash } from 'node:crypto';
import type { Customer } from '../ports.js';

const shortHash = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 16);

/** A client-supplied `Idempotency-Key`: printable, no separators that could forge another key's shape. */
export const clientTokenPattern = /^[A-Za-z0-9_.-]{1,100}$/;

/** The version of a customer's billing state, as a short hash. */
export function billingStateVersion(customer: Customer): string {
  return shortHash(
    JSON.stringify([
      customer.plan,
      customer.status,
      customer.billingInterval,
      customer.stripeCustomerId,
      customer.stripeSubscriptionId,
      customer.periodEnd,
      customer.trialEnd,
      customer.cancelAtPeriodEnd,
      customer.updatedAt,
    ]),
  );
}

/** The token of a request: the client's key when given, else the state version. */
export function stateToken(customer: Customer, clientKey: string | null): string {
  return clientKey === null ? `s-${billingStateVersion(customer)}` : `r-${clientKey}`;
}

/** The token of a session request: the client's key when given, else the current minute. */
export function sessionToken(now: number, clientKey: string | null): string {
  return clientKey === null ? `t-${Math.floor(now / 60_000)}` : `r-${clientKey}`;
}

export const idempotencyKeys = {
  /**
   * Creating the Stripe customer of a Tollgate customer not linked to one: concurrent requests and
   * retries read the same row, so they share the key; once `reconcile` has unlinked a customer whose
   * Stripe customer is gone, the row has changed, so the new Stripe customer gets a new key (Stripe
   * would otherwise answer the old, missing customer for 24 hours).
   */
  customer: (customer: { id: string; updatedAt: number }) =>
    `tollgate:customer:${customer.id}:${customer.updatedAt}`,
  attachPaymentMethod: (customerId: string, paymentMethodId: string) =>
    `tollgate:attach-payment-method:${customerId}:${paymentMethodId}`,
  /** The trial is in the key: the same card with and without a trial are two requests. */
  subscribe: (
    customerId: string,
    planId: string,
    interval: string,
    paymentMethod: string | null,
    trialDays: number,
    token: string,
  ) =>
    `tollgate:subscribe:${customerId}:${planId}:${interval}:${paymentMethod ?? 'no-card'}:trial-${trialDays}:${token}`,
  changePlan: (customerId: string, subscriptionId: string, planId: string, interval: string, token: string) =>
    `tollgate:change-plan:${customerId}:${subscriptionId}:${planId}:${interval}:${token}`,
  cancel: (customerId: string, subscriptionId: string, when: 'period-end' | 'now', token: string) =>
    `tollgate:cancel:${customerId}:${subscriptionId}:${when}:${token}`,
  resume: (customerId: string, subscriptionId: string, token: string) =>
    `tollgate:resume:${customerId}:${subscriptionId}:${token}`,
  /**
   * The Stripe customer and the URLs are hashed in: the same token with other URLs, or for a Stripe
   * customer made anew after the old one was lost, is another request, not a replay.
   */
  checkout: (
    customerId: string,
    planId: string,
    interval: string,
    stripeCustomerId: string,
    urls: string[],
    token: string,
  ) =>
    `tollgate:checkout:${customerId}:${planId}:${interval}:${shortHash([stripeCustomerId, ...urls].join('\n'))}:${token}`,
  portal: (customerId: string, stripeCustomerId: string, returnUrl: string, token: string) =>
    `tollgate:portal:${customerId}:${shortHash(`${stripeCustomerId}\n${returnUrl}`)}:${token}`,
};
