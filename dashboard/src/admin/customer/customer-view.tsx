/**
 * One customer: profile, subscription, usage, invoices, the audit timeline and API keys, with the
 * admin's actions (reactivate, issue and revoke keys). An action reloads what it changed and says
 * so in a live region.
 */
import { useState } from 'react';
import { Link } from 'wouter';
import { ApiError } from '../../lib/api';
import { Banner, ErrorState, Skeleton, StatusBadge } from '../../lib/ui';
import { useResource } from '../../lib/use-resource';
import { ViewTitle } from '../admin-layout';
import { useApi } from '../admin-session';
import type { CustomerDetail } from '../admin-types';
import { customerLabel } from '../customers/customers-table';
import { ApiKeysSection } from './api-keys-section';
import { AuditTimeline } from './audit-timeline';
import { ContractGrants } from './contract-grants';
import { ContractOverrides } from './contract-overrides';
import { ContractPrices } from './contract-prices';
import { CustomerInvoices } from './customer-invoices';
import { CustomerSummary } from './customer-summary';
import { ReactivateAction } from './reactivate-action';

export function CustomerView(props: { id: string }) {
  const api = useApi();
  const detail = useResource(
    (signal) =>
      api.get<CustomerDetail>(`/api/v1/admin/customers/${encodeURIComponent(props.id)}`, undefined, signal),
    [api, props.id],
  );
  const [timelineVersion, setTimelineVersion] = useState(0);
  const [announcement, setAnnouncement] = useState('');

  const data = detail.data;
  const title = data ? customerLabel(data.customer) : 'Customer';
  const changed = (message: string) => {
    setAnnouncement(message);
    detail.reload();
    setTimelineVersion((n) => n + 1);
  };

  return (
    <>
      <p className="tg-small">
        <Link href="/customers">← All customers</Link>
      </p>
      <ViewTitle
        detail={
          data ? (
            <div className="tg-row" data-testid="customer-status">
              <StatusBadge status={data.customer.status} />
              <ReactivateAction customer={data.customer} onReactivated={changed} />
            </div>
          ) : null
        }
      >
        {title}
      </ViewTitle>
      <div role="status" aria-live="polite" data-testid="customer-announcement">
        {announcement ? <Banner tone="ok" title={announcement} /> : null}
      </div>
      {detail.state === 'loading' ? <Skeleton height={420} label="Loading the customer" /> : null}
      {detail.state === 'error' ? (
        detail.error instanceof ApiError && detail.error.status === 404 ? (
          <Banner tone="warn" title="No such customer.">
            {detail.error.message} <Link href="/customers">Back to the list</Link>
          </Banner>
        ) : (
          <ErrorState error={detail.error} retry={detail.reload} />
        )
      ) : null}
      {data ? (
        <>
          <CustomerSummary detail={data} />
          <ContractOverrides
            customerId={data.customer.id}
            overrides={data.overrides ?? []}
            operations={Object.keys(data.usage.operations ?? {})}
            onChanged={changed}
          />
          <ContractPrices customerId={data.customer.id} onChanged={changed} />
          <ContractGrants customerId={data.customer.id} onChanged={changed} />
          <CustomerInvoices customerId={data.customer.id} />
          <AuditTimeline customerId={data.customer.id} version={timelineVersion} />
          <ApiKeysSection
            customerId={data.customer.id}
            keys={data.api_keys}
            onChanged={(message) => changed(message)}
          />
        </>
      ) : null}
    </>
  );
}
