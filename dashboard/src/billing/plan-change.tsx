/**
 * A change of plan (or of billing interval) on a subscription: which way it goes, and the confirmation
 * that says what it costs and that it applies now, prorated, with the amount Stripe previews for it
 * (POST /api/v1/billing/upgrade/preview: the same change, computed but not made). With a contract,
 * a line says its limits carry over: overrides apply to whichever plan the customer is on.
 */
import { formatMoney } from '../lib/format';
import { errorText } from '../lib/ui';
import type { Resource } from '../lib/use-resource';
import type { Catalog, ChangePreview, Interval, Plan } from './billing-api';
import type { ContractEntry } from './contract-facts';

export interface PlanChange {
  plan: Plan;
  interval: Interval;
  direction: 'Upgrade' | 'Downgrade' | 'Switch';
}

/** Up or down by price (monthly, else yearly), then by catalog order. */
export function changeDirection(catalog: Catalog, from: string, to: Plan): 'Upgrade' | 'Downgrade' {
  const current = catalog.plans.find((plan) => plan.id === from);
  const a = current ? (current.prices.month ?? current.prices.year) : null;
  const b = to.prices.month ?? to.prices.year;
  if (a !== null && b !== null && a !== b) return b > a ? 'Upgrade' : 'Downgrade';
  const order =
    catalog.plans.findIndex((plan) => plan.id === to.id) -
    catalog.plans.findIndex((plan) => plan.id === from);
  return order >= 0 ? 'Upgrade' : 'Downgrade';
}

export function PlanChangeButton(props: {
  plan: Plan;
  label: PlanChange['direction'];
  onClick: (label: PlanChange['direction']) => void;
}) {
  const { plan, label } = props;
  const text = label === 'Switch' ? 'Switch billing interval' : label;
  return (
    <button
      type="button"
      className="tg-button"
      data-variant={label === 'Downgrade' ? 'secondary' : undefined}
      onClick={() => props.onClick(label)}
      aria-label={label === 'Switch' ? `${text} of ${plan.name}` : `${text} to ${plan.name}`}
      data-testid={`change-${label.toLowerCase()}`}
    >
      {text}
    </button>
  );
}

export function changeTitle(change: PlanChange): string {
  const billed = change.interval === 'year' ? 'yearly' : 'monthly';
  if (change.direction === 'Switch') return `Switch ${change.plan.name} to ${billed} billing?`;
  return `${change.direction} to ${change.plan.name}, billed ${billed}?`;
}

export function ChangeExplanation(props: {
  change: PlanChange;
  preview: Resource<ChangePreview | null>;
  contract: readonly ContractEntry[];
}) {
  const { plan, interval, direction: kind } = props.change;
  const price = plan.prices[interval];
  return (
    <>
      <p>
        {plan.name} costs <strong>{price === null ? '—' : formatMoney(price, plan.currency)}</strong> per{' '}
        {interval}. The change applies now.
      </p>
      <p className="tg-change-amount" data-testid="change-amount" aria-live="polite">
        <AmountSentence downgrade={kind === 'Downgrade'} preview={props.preview} />
      </p>
      {props.contract.length > 0 ? (
        <p className="tg-small" data-testid="change-contract-note">
          The limits and features your contract sets stay as agreed on {plan.name}; the others are the plan's.
        </p>
      ) : null}
    </>
  );
}

/** What the change charges: the previewed amount, or while it loads a line of the same size. */
function AmountSentence(props: { downgrade: boolean; preview: Resource<ChangePreview | null> }) {
  const { downgrade, preview } = props;
  if (preview.state === 'error')
    return (
      <>
        The amount could not be worked out ({errorText(preview.error)}).{' '}
        {downgrade
          ? 'The unused time of your current plan is credited on your next invoice.'
          : 'You are charged the prorated difference for the rest of this period today.'}
      </>
    );
  if (preview.state === 'loading' || preview.data === null)
    return <span className="tg-muted">Working out what this costs…</span>;
  const { amount_due: amount, currency, due_now: now } = preview.data;
  const money = <strong data-testid="change-amount-value">{formatMoney(amount, currency)}</strong>;
  if (now)
    return (
      <>
        You are charged {money} today, the prorated difference for the rest of this period, to your saved
        payment method.
      </>
    );
  const credit = preview.data.lines
    .filter((line) => line.proration && line.amount < 0)
    .reduce((sum, line) => sum + line.amount, 0);
  return (
    <>
      Nothing is charged today. Your next invoice comes to {money}
      {credit < 0 ? `, after a credit of ${formatMoney(-credit, currency)} for the unused time` : ''}. The new
      limits apply at once.
    </>
  );
}
