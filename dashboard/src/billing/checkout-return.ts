/**
 * Coming back from Stripe Checkout. Stripe sends the person to `/billing?checkout=success` as soon as
 * the payment succeeds, but the plan changes only when Tollgate has applied Stripe's webhook, a moment
 * later; so the page says the payment was received and watches the subscription until the plan it
 * asked for shows up (the tier is remembered in sessionStorage before leaving for Checkout).
 */
import { useEffect, useState } from 'react';
import { hasSubscription, type Subscription } from './billing-api';

const pendingKey = 'tollgate.billing.checkout';
/** How long to wait for the webhook before saying it is taking longer than usual. */
const patienceMs = 60_000;

export type CheckoutReturn =
  | { state: 'none' }
  | { state: 'waiting'; tier: string | null }
  | { state: 'done'; planName: string; tier: string }
  /** Still watching, but the page says it is taking longer than usual. */
  | { state: 'slow'; tier: string | null }
  | { state: 'canceled' };

export function rememberCheckout(tier: string): void {
  try {
    sessionStorage.setItem(pendingKey, tier);
  } catch {
    // Without storage the page waits for any subscription instead of this tier.
  }
}

function takeRememberedTier(): string | null {
  try {
    const tier = sessionStorage.getItem(pendingKey);
    sessionStorage.removeItem(pendingKey);
    return tier;
  } catch {
    return null;
  }
}

/** Reads (once) and removes `?checkout=` from the address bar. */
function readCheckoutParameter(): string | null {
  const url = new URL(window.location.href);
  const value = url.searchParams.get('checkout');
  if (value === null) return null;
  url.searchParams.delete('checkout');
  history.replaceState(history.state, '', url.pathname + url.search + url.hash);
  return value;
}

export function useCheckoutReturn(subscription: Subscription | undefined): CheckoutReturn {
  const [state, setState] = useState<CheckoutReturn>(() => {
    const parameter = readCheckoutParameter();
    if (parameter === 'success') return { state: 'waiting', tier: takeRememberedTier() };
    if (parameter === 'canceled') {
      takeRememberedTier();
      return { state: 'canceled' };
    }
    return { state: 'none' };
  });

  useEffect(() => {
    if ((state.state !== 'waiting' && state.state !== 'slow') || subscription === undefined) return;
    const arrived =
      state.tier === null
        ? hasSubscription(subscription)
        : subscription.subscription_tier === state.tier && hasSubscription(subscription);
    if (arrived)
      setState({ state: 'done', planName: subscription.plan_name, tier: subscription.subscription_tier });
  }, [state, subscription]);

  const waiting = state.state === 'waiting';
  useEffect(() => {
    if (!waiting) return;
    const timer = setTimeout(
      () =>
        setState((current) =>
          current.state === 'waiting' ? { state: 'slow', tier: current.tier } : current,
        ),
      patienceMs,
    );
    return () => clearTimeout(timer);
  }, [waiting]);

  return state;
}
