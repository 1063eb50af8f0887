/**
 * The customer's profile, subscription and usage this period (credits, requests, storage, and each
 * limited operation window), as read from the admin API.
 */
import type { ReactNode } from 'react';
import {
  creditPercent,
  formatBytes,
  formatCount,
  formatCredits,
  formatDate,
  formatDateTime,
  formatInterval,
  formatPeriod,
  percentOf,
} from '../../lib/format';
import { operationMeters } from '../../lib/operation-limits';
import { Meter, StatusBadge } from '../../lib/ui';
import { contractMeterIds } from '../../lib/usage-types';
import type { CustomerDetail } from '../admin-types';
import { CopyableId } from '../id-text';
import { usePlanName } from '../plan-names';

function Facts(props: { items: [string, ReactNode][]; testId: string }) {
  return (
    <dl className="tg-facts" data-testid={props.testId}>
      {props.items.map(([term, value]) => (
        <div key={term}>
          <dt>{term}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

export function CustomerSummary(props: { detail: CustomerDetail }) {
  const { customer, usage } = props.detail;
  const contract = contractMeterIds(usage.contract);
  const planName = usePlanName();
  const metadata = Object.entries(customer.metadata);
  return (
    <div className="tg-grid">
      <section className="tg-card" aria-labelledby="profile-heading">
        <h2 id="profile-heading">Profile</h2>
        <Facts
          testId="customer-profile"
          items={[
            ['Name', customer.name ?? '—'],
            ['Email', customer.email ?? '—'],
            ['Customer id', <CopyableId key="id" value={customer.id} label="customer id" />],
            ['External id', <CopyableId key="external" value={customer.external_id} label="external id" />],
            ['Created', formatDateTime(customer.created_at)],
            ...(metadata.length > 0
              ? ([['Metadata', metadata.map(([key, value]) => `${key}: ${value}`).join(', ')]] as [
                  string,
                  ReactNode,
                ][])
              : []),
          ]}
        />
      </section>
      <section className="tg-card" aria-labelledby="subscription-heading">
        <h2 id="subscription-heading">Subscription</h2>
        <Facts
          testId="customer-subscription"
          items={[
            [
              'Plan',
              customer.plan === customer.effective_plan
                ? planName(customer.plan)
                : `${planName(customer.plan)} (limits of ${planName(customer.effective_plan)} apply)`,
            ],
            ['Status', <StatusBadge key="status" status={customer.status} />],
            ...(customer.stored_status !== customer.status
              ? ([['Status on record', customer.stored_status.replace('_', ' ')]] as [string, ReactNode][])
              : []),
            ['Interval', customer.billing_interval ? formatInterval(customer.billing_interval) : '—'],
            ['Period end', formatDate(customer.current_period_end)],
            ['Trial end', formatDate(customer.trial_end)],
            ['Cancels at period end', customer.cancel_at_period_end ? 'Yes' : 'No'],
            ['Payment failed', formatDateTime(customer.payment_failed_at)],
            ['Grace period ends', formatDateTime(usage.grace_period_end)],
            [
              'Stripe customer',
              <CopyableId key="stripe" value={customer.stripe_customer_id} label="Stripe customer id" />,
            ],
            [
              'Stripe subscription',
              <CopyableId
                key="subscription"
                value={customer.stripe_subscription_id}
                label="Stripe subscription id"
              />,
            ],
          ]}
        />
      </section>
      <section className="tg-card tg-stack" aria-labelledby="usage-heading">
        <h2 id="usage-heading">Usage this period</h2>
        <p className="tg-small tg-muted" data-testid="usage-period">
          {formatPeriod(usage.period_start, usage.period_end)}
        </p>
        <Meter
          id="customer-credits"
          label="Credits"
          percent={creditPercent(usage.credits_used, usage.monthly_limit)}
          detail={`${formatCredits(usage.credits_used)} of ${formatCredits(usage.monthly_limit)}${
            usage.overage_used !== 0 ? ` (+${formatCredits(usage.overage_used)} overage)` : ''
          }`}
          contract={contract.has('credits')}
        />
        <Meter
          id="customer-requests"
          label="Requests today"
          percent={
            usage.requests_today === null
              ? null
              : percentOf(usage.requests_today, usage.requests_per_day_limit)
          }
          detail={`${formatCount(usage.requests_today ?? 0)} of ${formatCount(usage.requests_per_day_limit)}`}
          contract={contract.has('requests-day')}
        />
        <Meter
          id="customer-storage"
          label="Storage"
          percent={percentOf(usage.storage_bytes, usage.storage_bytes_limit)}
          detail={`${formatBytes(usage.storage_bytes)} of ${formatBytes(usage.storage_bytes_limit)}, ${formatCount(
            usage.storage_items,
          )} items`}
          contract={contract.has('storage-bytes') || contract.has('storage-items')}
        />
        {operationMeters(usage.operations).map((meter) => (
          <Meter
            key={meter.id}
            id={`customer-${meter.id}`}
            label={meter.label}
            percent={meter.percent}
            detail={meter.detail}
            contract={contract.has(meter.id)}
          />
        ))}
      </section>
    </div>
  );
}
