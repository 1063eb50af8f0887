/**
 * The plans side by side, monthly or yearly, with the current one marked. Without a subscription a
 * plan is started as a trial (no card) or paid on Stripe's payment page (Checkout); with one, a change
 * is immediate and prorated, after a confirmation that shows what it charges (Stripe's preview).
 * A plan offers its free trial only while one could start: not the plan you are on, not once used.
 * The current plan's card shows what the customer has: its contract's overrides applied, each marked
 * "Contract"; the other cards show the catalog's figures.
 */
import { useState } from 'react';
import { formatBytes, formatCount, formatCredits, formatMoney } from '../lib/format';
import { operationLimitLines } from '../lib/operation-limits';
import { Loaded } from '../lib/ui';
import { type Resource, useResource } from '../lib/use-resource';
import {
  type BillingOutcome,
  type Catalog,
  type ChangePreview,
  type Entitlements,
  hasSubscription,
  type Interval,
  type Plan,
  type Subscription,
  withEntitlements,
} from './billing-api';
import type { BillingData } from './billing-app';
import { rememberCheckout } from './checkout-return';
import { ConfirmDialog } from './confirm-dialog';
import { type ContractEntry, contractEntryFor, contractLabel, featureFacts } from './contract-facts';
import { useNotices } from './notices';
import {
  ChangeExplanation,
  changeDirection,
  changeTitle,
  type PlanChange,
  PlanChangeButton,
} from './plan-change';
import { goToStripe, stripeReturnUrl } from './stripe-navigation';
import { ActionStatus, useAction } from './use-action';

export function PlanSection(props: {
  data: BillingData;
  plans: Resource<Catalog>;
  subscription: Subscription | undefined;
  entitlements: Entitlements | undefined;
}) {
  return (
    <section className="tg-stack" aria-labelledby="plans-heading" data-testid="plans">
      <h2 id="plans-heading">Plans</h2>
      <Loaded resource={props.plans} height={460} label="plans">
        {(catalog) =>
          props.subscription ? (
            <PlanCards
              data={props.data}
              catalog={catalog}
              subscription={props.subscription}
              entitlements={props.entitlements}
            />
          ) : (
            <div className="tg-skeleton" style={{ height: 420 }} />
          )
        }
      </Loaded>
    </section>
  );
}

function priceOf(plan: Plan, interval: Interval): string {
  const price = plan.prices[interval];
  if (price === null) return `Not offered ${interval === 'year' ? 'yearly' : 'monthly'}`;
  // "$0.00 / month", as the other cards read: the card's title already says the plan's name.
  return formatMoney(price, plan.currency);
}

function PlanCards(props: {
  data: BillingData;
  catalog: Catalog;
  subscription: Subscription;
  entitlements: Entitlements | undefined;
}) {
  const { data, catalog, subscription, entitlements } = props;
  // The overrides in force: they apply to whichever plan the customer is on.
  const contract = entitlements?.contract ?? [];
  const [interval, setChosenInterval] = useState<Interval>(subscription.billing_interval ?? 'month');
  const [change, setChange] = useState<PlanChange | null>(null);
  const action = useAction('plan');
  const changeAction = useAction('change');
  const subscribed = hasSubscription(subscription);
  // One trial per customer: asked only while trial buttons could show. Until the answer (or if it
  // fails) the button stays in place, disabled while loading, so nothing moves.
  const trial = useResource(
    (signal) =>
      subscribed
        ? Promise.resolve({ available: false })
        : data.client.get<{ available: boolean }>('/api/v1/billing/trial', undefined, signal),
    [data.client, subscribed],
  );
  const trialUsed = trial.state === 'ready' && !trial.data.available;
  /** A plan's trial is advertised while one could start; hidden (keeping its line) until known. */
  const trialOffer = (plan: Plan, current: boolean): 'offered' | 'pending' | 'none' => {
    if (subscribed || current || plan.trial_days === 0 || trialUsed) return 'none';
    return trial.state === 'ready' ? 'offered' : 'pending';
  };
  // A plan change is charged to the card that just failed: settle the open invoice first.
  const unpaid = subscription.status === 'past_due' || subscription.status === 'suspended';
  // What the change in the confirmation would charge, asked for when it opens.
  const preview = useResource<ChangePreview | null>(
    (signal) =>
      change === null
        ? Promise.resolve(null)
        : data.client.post<ChangePreview>(
            '/api/v1/billing/upgrade/preview',
            { new_tier: change.plan.id, interval: change.interval },
            signal,
          ),
    [data.client, change],
  );
  const previewReady = preview.state !== 'loading' && !(preview.state === 'ready' && preview.data === null);
  const featureNames = new Map(catalog.features.map((feature) => [feature.id, feature.name]));

  const startTrial = (plan: Plan) =>
    action.run(async () => {
      const outcome = await data.client.post<BillingOutcome>('/api/v1/billing/subscribe', {
        tier: plan.id,
        interval,
      });
      data.refresh(outcome.subscription);
      return {
        text: `Your ${plan.trial_days}-day trial of ${outcome.subscription.plan_name} has started. No card needed until it ends.`,
        holds: (now) => now.status === 'trialing' && now.subscription_tier === plan.id,
      };
    });

  const checkout = (plan: Plan) =>
    action.run(async () => {
      const session = await data.client.post<{ url: string }>('/api/v1/billing/checkout', {
        tier: plan.id,
        interval,
        success_url: stripeReturnUrl(data.session, 'checkout=success'),
        cancel_url: stripeReturnUrl(data.session, 'checkout=canceled'),
      });
      rememberCheckout(plan.id);
      goToStripe(data.session, session.url);
      return 'Opening the payment page…';
    });

  const confirmChange = () => {
    if (change === null) return;
    void changeAction.run(async () => {
      // With the preview's proration date, the charge is the amount the dialog showed.
      const prorationDate = preview.state === 'ready' ? preview.data?.proration_date : null;
      const outcome = await data.client.post<BillingOutcome>('/api/v1/billing/upgrade', {
        new_tier: change.plan.id,
        interval: change.interval,
        ...(prorationDate ? { proration_date: prorationDate } : {}),
      });
      setChange(null);
      data.refresh(outcome.subscription);
      const after = outcome.subscription;
      // True while the subscription is still the one this change made.
      const holds = (now: Subscription) =>
        now.subscription_tier === after.subscription_tier && now.billing_interval === after.billing_interval;
      if (outcome.action === 'nothing') return { text: outcome.reason ?? 'Nothing changed.', holds };
      if (after.status === 'past_due')
        return {
          text: `Your plan changed to ${after.plan_name}, but its payment failed: pay the open invoice or update your card.`,
          holds: (now) => holds(now) && now.status === 'past_due',
        };
      return {
        text: `You are now on the ${after.plan_name} plan, billed ${after.billing_interval === 'year' ? 'yearly' : 'monthly'}.`,
        holds,
      };
    });
  };

  const { claim } = useNotices();
  const openChange = (next: PlanChange) => {
    // Opening the confirmation starts the change: the previous action's message goes.
    claim(changeAction.id);
    changeAction.reset();
    setChange(next);
  };

  return (
    <>
      <fieldset className="tg-interval" data-testid="interval-toggle">
        <legend className="tg-small">Billed</legend>
        {(['month', 'year'] as const).map((value) => (
          <label key={value} className="tg-interval-option">
            <input
              type="radio"
              name="interval"
              value={value}
              checked={interval === value}
              onChange={() => setChosenInterval(value)}
              data-testid={`interval-${value}`}
            />
            <span>{value === 'month' ? 'Monthly' : 'Yearly'}</span>
          </label>
        ))}
      </fieldset>
      <ul className="tg-plan-grid">
        {catalog.plans.map((plan) => {
          const current = plan.id === subscription.subscription_tier;
          const price = plan.prices[interval];
          const offered = price !== null;
          const paid = offered && price > 0;
          return (
            <li
              key={plan.id}
              className="tg-card tg-plan-card tg-stack"
              data-current={current}
              data-testid={`plan-${plan.id}`}
            >
              <div className="tg-spread">
                <h3 id={`plan-${plan.id}-name`}>{plan.name}</h3>
                {current ? (
                  <span className="tg-badge" data-tone="info" data-testid="current-marker">
                    Current plan
                  </span>
                ) : null}
              </div>
              {plan.description ? <p className="tg-small tg-muted">{plan.description}</p> : null}
              <p className="tg-plan-price tg-num" data-testid="plan-card-price">
                {priceOf(plan, interval)}
                {offered ? <span className="tg-small tg-muted"> / {interval}</span> : null}
              </p>
              {plan.contract?.[interval] ? (
                <p className="tg-small">
                  <span className="tg-badge" data-tone="info" data-testid="contract-price-marker">
                    Your contract price
                  </span>
                </p>
              ) : null}
              {current && entitlements?.subscription_tier === plan.id ? (
                <PlanFacts
                  plan={withEntitlements(plan, entitlements)}
                  contract={contract}
                  featureNames={featureNames}
                  trial={trialOffer(plan, current)}
                />
              ) : (
                <PlanFacts
                  plan={plan}
                  contract={[]}
                  featureNames={featureNames}
                  trial={trialOffer(plan, current)}
                />
              )}
              <div className="tg-row tg-plan-actions">
                {!subscribed && !current && paid ? (
                  <>
                    {plan.trial_days > 0 && trialUsed ? (
                      <span className="tg-small tg-muted tg-trial-used" data-testid="trial-used">
                        Free trial used
                      </span>
                    ) : null}
                    {plan.trial_days > 0 && !trialUsed ? (
                      <button
                        type="button"
                        className="tg-button"
                        data-variant="secondary"
                        disabled={action.busy || trial.state === 'loading'}
                        onClick={() => startTrial(plan)}
                        aria-label={`Start ${plan.trial_days}-day trial of ${plan.name}`}
                        data-testid="start-trial"
                      >
                        Start {plan.trial_days}-day trial
                      </button>
                    ) : null}
                    <button
                      type="button"
                      className="tg-button"
                      disabled={action.busy}
                      onClick={() => checkout(plan)}
                      aria-label={`Continue to payment for ${plan.name}`}
                      data-testid="checkout"
                    >
                      Continue to payment
                    </button>
                  </>
                ) : null}
                {subscribed && unpaid && !current && paid ? (
                  <p className="tg-small tg-muted">Pay the open invoice before changing plans.</p>
                ) : null}
                {subscribed && !unpaid && !current && paid ? (
                  <PlanChangeButton
                    plan={plan}
                    label={changeDirection(catalog, subscription.subscription_tier, plan)}
                    onClick={(label) => openChange({ plan, interval, direction: label })}
                  />
                ) : null}
                {subscribed && !unpaid && current && paid && subscription.billing_interval !== interval ? (
                  <PlanChangeButton
                    plan={plan}
                    label="Switch"
                    onClick={() => openChange({ plan, interval, direction: 'Switch' })}
                  />
                ) : null}
                {subscribed && !current && plan.default ? (
                  <p className="tg-small tg-muted">Cancel your subscription to return to this plan.</p>
                ) : null}
                {!offered && !current ? (
                  <p className="tg-small tg-muted">Choose the other interval for this plan.</p>
                ) : null}
              </div>
            </li>
          );
        })}
      </ul>
      <ActionStatus action={action} testId="plan-status" />
      <ActionStatus
        action={change ? { ...changeAction, error: null, message: null } : changeAction}
        testId="change-status"
      />
      <ConfirmDialog
        open={change !== null}
        title={change ? changeTitle(change) : ''}
        confirmLabel={
          change ? (change.direction === 'Switch' ? 'Switch now' : `${change.direction} now`) : ''
        }
        dismissLabel="Keep current plan"
        busy={changeAction.busy}
        // Confirmed only once the amount it charges is shown (or could not be worked out).
        blocked={!previewReady}
        error={changeAction.error}
        testId="change-dialog"
        onConfirm={confirmChange}
        onClose={() => setChange(null)}
      >
        {change ? <ChangeExplanation change={change} preview={preview} contract={contract} /> : null}
      </ConfirmDialog>
    </>
  );
}

/**
 * What a plan includes: credits, rates, storage, operation limits, overage, features, and its trial
 * while one could start. With the customer's `contract` (its current plan), a line an override sets is
 * marked "Contract", and a limit only the contract sets (concurrency, stored items) gets a line too.
 */
function PlanFacts(props: {
  plan: Plan;
  contract: readonly ContractEntry[];
  featureNames: Map<string, string>;
  trial: 'offered' | 'pending' | 'none';
}) {
  const { plan, contract, featureNames, trial } = props;
  const { limits } = plan;
  const fact = (id: string, text: string, keys: readonly string[]) => {
    const entry = contractEntryFor(contract, keys);
    return (
      <li key={id} data-testid={`plan-fact-${id}`} data-source={entry ? 'contract' : 'plan'}>
        {text}
        {entry ? <ContractMark entry={entry} /> : null}
      </li>
    );
  };
  return (
    <ul className="tg-facts tg-small">
      {fact(
        'credits',
        limits.credits_per_month === null
          ? 'Unlimited credits'
          : `${formatCredits(limits.credits_per_month)} credits a month`,
        ['credits'],
      )}
      {fact('requests-minute', rate(limits.requests_per_minute, 'minute'), ['requests_per_minute'])}
      {fact('requests-day', rate(limits.requests_per_day, 'day'), ['requests_per_day'])}
      {contractEntryFor(contract, ['concurrent_requests'])
        ? fact(
            'concurrent',
            limits.concurrent_requests === null
              ? 'Unlimited concurrent requests'
              : `${formatCount(limits.concurrent_requests)} concurrent requests`,
            ['concurrent_requests'],
          )
        : null}
      {fact(
        'storage',
        limits.storage_bytes === null ? 'Unlimited storage' : `${formatBytes(limits.storage_bytes)} storage`,
        ['storage_bytes'],
      )}
      {contractEntryFor(contract, ['storage_items'])
        ? fact(
            'storage-items',
            limits.storage_items === null
              ? 'Unlimited stored items'
              : `${formatCount(limits.storage_items)} stored items`,
            ['storage_items'],
          )
        : null}
      {Object.entries(limits.operations ?? {}).flatMap(([operation, operationLimits]) => {
        const entry = contractEntryFor(contract, [`operations.${operation}.`]);
        return operationLimitLines({ [operation]: operationLimits }, plan.currency).map((line) => (
          <li key={line} data-testid="operation-limit-fact" data-source={entry ? 'contract' : 'plan'}>
            {line}
            {entry ? <ContractMark entry={entry} /> : null}
          </li>
        ));
      })}
      {plan.overage
        ? fact(
            'overage',
            `Past the quota: ${formatMoney(plan.overage.unit_amount, plan.currency)} per ${formatCount(plan.overage.unit_credits)} credits`,
            ['overage', 'spending_cap'],
          )
        : contractEntryFor(contract, ['overage'])
          ? fact('overage', 'No overage: the quota is a hard limit', ['overage'])
          : null}
      {featureFacts(plan.features, contract).map((feature) => {
        const name = featureNames.get(feature.id) ?? feature.id;
        return (
          <li
            key={feature.id}
            data-testid={`plan-fact-feature-${feature.id}`}
            data-source={feature.contract ? 'contract' : 'plan'}
          >
            {feature.included ? name : `${name} not included`}
            {feature.contract ? <ContractMark entry={feature.contract} /> : null}
          </li>
        );
      })}
      {trial === 'none' ? null : (
        <li data-testid="trial-fact" className={trial === 'pending' ? 'tg-hidden-line' : undefined}>
          {plan.trial_days}-day free trial
        </li>
      )}
    </ul>
  );
}

/** The "Contract" badge of a card line, as the usage bars show it, with the date the override ends. */
function ContractMark(props: { entry: ContractEntry }) {
  return (
    <>
      {' '}
      <span
        className="tg-badge"
        data-tone="info"
        data-testid="contract-fact-marker"
        title="Set by your contract, not your plan"
      >
        {contractLabel(props.entry.expires_at)}
      </span>
    </>
  );
}

function rate(limit: number | null, per: 'minute' | 'day'): string {
  return limit === null ? `Unlimited requests per ${per}` : `${formatCount(limit)} requests per ${per}`;
}
