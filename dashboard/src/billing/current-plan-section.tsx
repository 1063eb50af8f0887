/**
 * The current plan and where the account stands: price and interval, a status badge, and a banner
 * for each state that needs the customer (trial ending, a failed payment in its grace period, a
 * suspension, a pending cancellation), saying what happens and what to do. Cancel and Resume live here.
 */
import { useState } from 'react';
import { daysUntil, formatDate, formatDateTime, formatMoney } from '../lib/format';
import { Banner, Loaded, StatusBadge } from '../lib/ui';
import type { Resource } from '../lib/use-resource';
import {
  type BillingOutcome,
  type Catalog,
  hasSubscription,
  type Invoice,
  openInvoice,
  type Subscription,
  safeUrl,
  type Usage,
} from './billing-api';
import type { BillingData } from './billing-app';
import { ConfirmDialog } from './confirm-dialog';
import { useNotices } from './notices';
import { PortalButton } from './portal-button';
import { ActionStatus, useAction } from './use-action';

const statusLabels: Record<string, string> = {
  active: 'Active',
  trialing: 'Trial',
  past_due: 'Payment failed',
  suspended: 'Suspended',
  canceled: 'Canceled',
};

export function CurrentPlanSection(props: {
  data: BillingData;
  subscription: Resource<Subscription>;
  usage: Usage | undefined;
  plans: Catalog | undefined;
  invoices: Invoice[] | undefined;
}) {
  return (
    <section className="tg-card tg-stack" aria-labelledby="current-plan-heading" data-testid="current-plan">
      <h2 id="current-plan-heading">Your plan</h2>
      <Loaded resource={props.subscription} height={96} label="your plan">
        {(subscription) => <CurrentPlan {...props} subscription={subscription} />}
      </Loaded>
    </section>
  );
}

function priceText(subscription: Subscription, plans: Catalog | undefined): string {
  const plan = plans?.plans.find((candidate) => candidate.id === subscription.subscription_tier);
  if (plan === undefined) return '';
  const interval = subscription.billing_interval ?? 'month';
  const price = plan.prices[interval];
  if (price === null || price === 0) return 'No charge';
  return `${formatMoney(price, plan.currency)} per ${interval}`;
}

function CurrentPlan(props: {
  data: BillingData;
  subscription: Subscription;
  usage: Usage | undefined;
  plans: Catalog | undefined;
  invoices: Invoice[] | undefined;
}) {
  const { data, subscription, usage, plans, invoices } = props;
  const action = useAction('resume');
  const cancel = useAction('cancel');
  const { claim } = useNotices();
  const [cancelOpen, setCancelOpen] = useState(false);
  const subscribed = hasSubscription(subscription);
  const defaultPlan = plans?.plans.find((plan) => plan.default)?.name ?? 'free';
  const price = priceText(subscription, plans);
  const unpaid = openInvoice(invoices);
  const payUrl = unpaid ? safeUrl(unpaid.hosted_invoice_url) : null;
  const graceEnd = usage?.grace_period_end ?? null;
  const periodEnd = subscription.current_period_end;

  const resume = () =>
    action.run(async () => {
      const outcome = await data.client.post<BillingOutcome>('/api/v1/billing/resume', {});
      data.refresh(outcome.subscription);
      const tier = outcome.subscription.subscription_tier;
      return {
        text:
          outcome.action === 'nothing'
            ? (outcome.reason ?? 'Nothing to resume.')
            : `Your ${outcome.subscription.plan_name} plan continues; it renews automatically.`,
        holds: (now) => now.subscription_tier === tier && hasSubscription(now) && !now.cancel_at_period_end,
      };
    });

  const confirmCancel = (form: FormData) => {
    const immediate = form.get('when') === 'now';
    void cancel.run(async () => {
      const outcome = await data.client.post<BillingOutcome>('/api/v1/billing/cancel', { immediate });
      setCancelOpen(false);
      data.refresh(outcome.subscription);
      const ending = outcome.subscription;
      return immediate
        ? {
            text: `Your subscription is canceled. You are on the ${ending.plan_name} plan now.`,
            holds: (now) => !hasSubscription(now),
          }
        : {
            text: `Your subscription is canceled; the plan stays until ${formatDate(ending.current_period_end)}.`,
            holds: (now) =>
              hasSubscription(now) &&
              now.cancel_at_period_end &&
              now.subscription_tier === ending.subscription_tier,
          };
    });
  };

  const payNow = payUrl ? (
    <a
      className="tg-button tg-link-button"
      href={payUrl}
      target="_blank"
      rel="noopener noreferrer"
      data-testid="banner-pay-now"
    >
      Pay now<span className="tg-visually-hidden"> (opens in a new tab)</span>
    </a>
  ) : null;

  return (
    <>
      <div className="tg-spread">
        <div>
          <p className="tg-plan-name" data-testid="plan-name">
            {subscription.plan_name}
          </p>
          <p className="tg-muted tg-num" data-testid="plan-price">
            {price}
          </p>
        </div>
        <StatusBadge status={subscription.status} label={statusLabels[subscription.status]} />
      </div>
      {subscribed &&
      periodEnd !== null &&
      !subscription.cancel_at_period_end &&
      subscription.status === 'active' ? (
        <p className="tg-small tg-muted" data-testid="renewal">
          Renews on {formatDate(periodEnd)}.
        </p>
      ) : null}

      {subscription.status === 'trialing' && subscription.trial_end !== null ? (
        <Banner
          tone="info"
          title={`Trial: ${dayCount(props.usage?.trial_days_left ?? daysUntil(subscription.trial_end))} left`}
          testId="trial-banner"
        >
          Your trial ends on {formatDate(subscription.trial_end)}. Keep a payment method saved so the plan
          continues after it; otherwise the subscription pauses then.
        </Banner>
      ) : null}

      {subscription.status === 'past_due' ? (
        <Banner tone="warn" title="Your last payment failed" testId="past-due-banner">
          <p>
            Your API access continues until{' '}
            <strong data-testid="grace-deadline">
              {graceEnd ? formatDateTime(graceEnd) : 'the end of the grace period'}
            </strong>
            . To keep it, pay the open invoice or update your card; if it is still unpaid by then, API
            requests are blocked until it is paid.
          </p>
          <div className="tg-row">
            {payNow}
            <PortalButton data={data} testId="past-due-portal" label="Update your card" />
          </div>
        </Banner>
      ) : null}

      {subscription.status === 'suspended' ? (
        <Banner tone="danger" title="Your API access is blocked" testId="suspended-banner">
          <p>
            Your account is suspended because an invoice is unpaid
            {graceEnd ? ` (the grace period ended ${formatDateTime(graceEnd)})` : ''}. API requests are
            refused until it is paid. To restore access, pay the open invoice, or update your payment method
            in Stripe and pay it there. Access returns as soon as the payment goes through.
          </p>
          <div className="tg-row">
            {payNow}
            <PortalButton data={data} testId="suspended-portal" label="Update payment method" />
          </div>
        </Banner>
      ) : null}

      {subscription.status === 'canceled' ? (
        <Banner tone="info" title="Your subscription was canceled" testId="canceled-banner">
          You are on the {subscription.plan_name} plan. Choose a plan below to subscribe again.
        </Banner>
      ) : null}

      {subscribed && subscription.cancel_at_period_end ? (
        <Banner
          tone="info"
          title={`Your plan ends on ${formatDate(periodEnd)}`}
          testId="cancel-pending-banner"
        >
          <p>
            After that you move to the {defaultPlan} plan and are not charged again. Changed your mind? Resume
            and nothing changes.
          </p>
          <button
            type="button"
            className="tg-button"
            onClick={resume}
            disabled={action.busy}
            data-testid="resume"
          >
            {action.busy ? 'Resuming…' : 'Resume subscription'}
          </button>
        </Banner>
      ) : null}

      {subscribed && !subscription.cancel_at_period_end ? (
        <div className="tg-row">
          <button
            type="button"
            className="tg-button"
            data-variant="danger"
            onClick={() => {
              claim(cancel.id);
              cancel.reset();
              setCancelOpen(true);
            }}
            data-testid="cancel-subscription"
          >
            Cancel subscription
          </button>
        </div>
      ) : null}
      <ActionStatus action={action} testId="resume-status" />
      {/* While the dialog is open it shows the outcome itself. */}
      <ActionStatus
        action={cancelOpen ? { ...cancel, error: null, message: null } : cancel}
        testId="cancel-status"
      />

      <ConfirmDialog
        open={cancelOpen}
        title="Cancel your subscription?"
        confirmLabel="Cancel subscription"
        dismissLabel="Keep my plan"
        tone="danger"
        busy={cancel.busy}
        error={cancel.error}
        testId="cancel-dialog"
        onConfirm={confirmCancel}
        onClose={() => setCancelOpen(false)}
      >
        <fieldset className="tg-fieldset">
          <legend>When should it end?</legend>
          <label className="tg-choice">
            <input
              type="radio"
              name="when"
              value="period_end"
              defaultChecked
              data-autofocus
              data-testid="cancel-at-period-end"
            />
            <span>
              At the end of this period{periodEnd ? `, on ${formatDate(periodEnd)}` : ''}: keep the{' '}
              {subscription.plan_name} plan until then, with no further charges.
            </span>
          </label>
          <label className="tg-choice">
            <input type="radio" name="when" value="now" data-testid="cancel-now" />
            <span>Now: move to the {defaultPlan} plan immediately.</span>
          </label>
        </fieldset>
      </ConfirmDialog>
    </>
  );
}

function dayCount(days: number): string {
  return days === 1 ? '1 day' : `${days} days`;
}
