/**
 * A change of plan (or of billing interval) on a subscription: which way it goes, and the confirmation
 * that says what it costs and that it applies now, prorated.
 */
import { formatMoney } from '../lib/format';
import type { Catalog, Interval, Plan } from './billing-api';

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

export function ChangeExplanation(props: { change: PlanChange }) {
  const { plan, interval, direction: kind } = props.change;
  const price = plan.prices[interval];
  return (
    <>
      <p>
        {plan.name} costs <strong>{price === null ? '—' : formatMoney(price, plan.currency)}</strong> per{' '}
        {interval}. The change applies now.
      </p>
      <p>
        {kind === 'Downgrade'
          ? 'The unused time of your current plan is credited on your next invoice, and the lower limits apply at once.'
          : 'You are charged the prorated difference for the rest of this period today, to your saved payment method.'}
      </p>
    </>
  );
}
