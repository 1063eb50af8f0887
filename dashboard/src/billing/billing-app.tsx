/**
 * The customer billing page once its session is open: loads the subscription, usage, entitlements,
 * plans, invoices and cards over the HTTP API as the session, keeps usage fresh while the tab is
 * visible, and lays the sections out. Every action reloads what it may have changed.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { ApiClient } from '../lib/api';
import { Banner, Skeleton } from '../lib/ui';
import { useResource } from '../lib/use-resource';
import {
  type Catalog,
  type Entitlements,
  hasSubscription,
  type Invoice,
  type PaymentMethod,
  type Subscription,
  type Usage,
  type UsageHistory,
  withContractPrices,
} from './billing-api';
import { useCheckoutReturn } from './checkout-return';
import { CurrentPlanSection } from './current-plan-section';
import { InvoicesSection } from './invoices-section';
import { NoticeContext, type Notices } from './notices';
import { PageHeader } from './page-header';
import { PaymentMethodsSection } from './payment-methods-section';
import { PlanSection } from './plan-section';
import type { BillingSession } from './session';
import { UsageSection } from './usage-section';

/** Usage is polled so the bars move while the customer's app makes calls. */
const usageRefreshMs = 5_000;
/** While a Checkout payment waits for its webhook, the subscription is read more often. */
const checkoutRefreshMs = 1_000;

export interface BillingData {
  client: ApiClient;
  session: BillingSession;
  /**
   * Shows the subscription an action answered with at once, then reloads everything an action can
   * change (subscription, usage and its history, invoices, cards).
   */
  refresh: (subscription?: Subscription) => void;
}

export function BillingApp(props: { session: BillingSession; client: ApiClient }) {
  const { session, client } = props;

  const plans = useResource((signal) => client.get<Catalog>('/api/v1/plans', undefined, signal), [client]);
  const subscription = useResource(
    (signal) => client.get<Subscription>('/api/v1/billing/subscription', undefined, signal),
    [client],
    { refreshMs: usageRefreshMs },
  );
  // The plans at this customer's prices: its negotiated ones replace the catalog's.
  const customerPlans = useMemo(() => {
    const catalog = withContractPrices(plans.data, subscription.data);
    return catalog === plans.data ? plans : ({ ...plans, data: catalog } as typeof plans);
  }, [plans, subscription.data]);
  const checkout = useCheckoutReturn(subscription.data);
  const watching = checkout.state === 'waiting' || checkout.state === 'slow';
  useEffect(() => {
    if (!watching) return;
    const timer = setInterval(subscription.reload, checkoutRefreshMs);
    return () => clearInterval(timer);
  }, [watching, subscription.reload]);

  const usage = useResource((signal) => client.get<Usage>('/api/v1/usage', undefined, signal), [client], {
    refreshMs: usageRefreshMs,
  });
  // The current plan's effective limits and features (its contract's overrides applied).
  const entitlements = useResource(
    (signal) => client.get<Entitlements>('/api/v1/entitlements', undefined, signal),
    [client],
  );
  const history = useResource(
    (signal) => client.get<UsageHistory>('/api/v1/usage/history', { bucket: 'day' }, signal),
    [client],
  );
  const invoices = useResource(
    (signal) => client.get<{ invoices: Invoice[] }>('/api/v1/billing/invoices', { limit: 24 }, signal),
    [client],
  );
  const paymentMethods = useResource(
    (signal) =>
      client.get<{ payment_methods: PaymentMethod[] }>('/api/v1/billing/payment-methods', undefined, signal),
    [client],
  );

  // A change seen by polling (a renewal, a failed payment, a plan applied by a webhook) can bring new
  // invoices and cards: reload those when the subscription's state changes.
  const sub = subscription.data;
  const subscriptionState = sub
    ? [
        sub.subscription_tier,
        sub.status,
        sub.billing_interval,
        sub.current_period_end,
        sub.cancel_at_period_end,
      ].join('|')
    : '';
  const reloadInvoices = invoices.reload;
  const reloadPaymentMethods = paymentMethods.reload;
  const seenState = useRef('');
  useEffect(() => {
    const previous = seenState.current;
    seenState.current = subscriptionState;
    // The first state seen is the one the invoices were just loaded with.
    if (previous === '' || previous === subscriptionState) return;
    reloadInvoices();
    reloadPaymentMethods();
  }, [subscriptionState, reloadInvoices, reloadPaymentMethods]);

  // The chart follows the bars: reload it when the credits move or a new period starts (a trial, a
  // plan change), so both show the same period and figures.
  const usageKey = usage.data ? `${usage.data.period_start}|${String(usage.data.credits_used)}` : undefined;
  const reloadHistory = history.reload;
  const seenUsage = useRef<string | undefined>(undefined);
  useEffect(() => {
    const previous = seenUsage.current;
    seenUsage.current = usageKey;
    if (previous !== undefined && previous !== usageKey) reloadHistory();
  }, [usageKey, reloadHistory]);

  // The card follows the bars too: reload the entitlements when the contract or the plan changes.
  const contractKey = usage.data
    ? `${usage.data.subscription_tier}|${JSON.stringify(usage.data.contract ?? [])}`
    : undefined;
  const reloadEntitlements = entitlements.reload;
  const seenContract = useRef<string | undefined>(undefined);
  useEffect(() => {
    const previous = seenContract.current;
    seenContract.current = contractKey;
    if (previous !== undefined && previous !== contractKey) reloadEntitlements();
  }, [contractKey, reloadEntitlements]);

  const reloadSubscription = subscription.reload;
  const replaceSubscription = subscription.replace;
  const reloadUsage = usage.reload;
  const refresh = useCallback(
    (answered?: Subscription) => {
      if (answered) replaceSubscription(answered);
      reloadSubscription();
      reloadUsage();
      reloadEntitlements();
      reloadHistory();
      reloadInvoices();
      reloadPaymentMethods();
    },
    [
      replaceSubscription,
      reloadSubscription,
      reloadUsage,
      reloadEntitlements,
      reloadHistory,
      reloadInvoices,
      reloadPaymentMethods,
    ],
  );
  // Back to the tab after a while (paid an invoice in another tab, say): read the state at once.
  useEffect(() => {
    const onVisible = () => {
      if (document.visibilityState === 'visible') refresh();
    };
    document.addEventListener('visibilitychange', onVisible);
    return () => document.removeEventListener('visibilitychange', onVisible);
  }, [refresh]);
  const data = useMemo<BillingData>(() => ({ client, session, refresh }), [client, session, refresh]);
  // The page's one current message: the return from Checkout's until an action starts.
  const [current, claim] = useState<string | null>(checkout.state === 'none' ? null : 'checkout');
  const notices = useMemo<Notices>(() => ({ current, claim, subscription: sub }), [current, sub]);
  const checkoutCurrent = current === 'checkout';
  const checkoutHolds =
    checkout.state !== 'done' ||
    (sub !== undefined && sub.subscription_tier === checkout.tier && hasSubscription(sub));
  // The sections appear together once every first answer is in (they come in parallel), so one that
  // answers later never pushes the others down; after that each section keeps its own state.
  const firstLoad = [plans, subscription, usage, entitlements, history, invoices, paymentMethods].some(
    (resource) => resource.state === 'loading',
  );

  return (
    <NoticeContext.Provider value={notices}>
      <PageHeader
        returnUrl={session.returnUrl}
        embed={session.embed}
        account={sub ? { name: sub.customer_name, email: sub.customer_email } : null}
      />
      <main className="tg-page tg-stack" id="main" data-testid="billing-main">
        <div aria-live="polite" data-testid="checkout-status">
          {!checkoutCurrent || !checkoutHolds ? null : checkout.state === 'waiting' ? (
            <Banner tone="info" title="Payment received — updating your plan" testId="checkout-waiting">
              Stripe confirmed the payment; your new plan appears here in a moment.
            </Banner>
          ) : checkout.state === 'slow' ? (
            <Banner tone="info" title="Payment received — still updating your plan" testId="checkout-slow">
              This is taking longer than usual. The page keeps checking; you do not need to pay again.
            </Banner>
          ) : checkout.state === 'done' ? (
            <Banner tone="ok" title={`You are now on the ${checkout.planName} plan`} testId="checkout-done">
              Thank you. Your new limits apply now.
            </Banner>
          ) : checkout.state === 'canceled' ? (
            <Banner tone="info" title="Checkout canceled" testId="checkout-canceled">
              Nothing was charged and your plan did not change.
            </Banner>
          ) : null}
        </div>
        {firstLoad ? (
          <Skeleton height={640} label="Loading your billing" />
        ) : (
          <>
            <CurrentPlanSection
              data={data}
              subscription={subscription}
              usage={usage.data}
              plans={customerPlans.data}
              invoices={invoices.data?.invoices}
            />
            <UsageSection usage={usage} history={history} />
            <PlanSection
              data={data}
              plans={customerPlans}
              subscription={subscription.data}
              entitlements={entitlements.data}
            />
            <InvoicesSection invoices={invoices} status={sub?.status} />
            <PaymentMethodsSection data={data} paymentMethods={paymentMethods} />
          </>
        )}
      </main>
    </NoticeContext.Provider>
  );
}
