/**
 * The customer rows: who, tier, status, credits this period (with a meter) and when created. The
 * headers of the columns the API sorts by are buttons that ask for that order; credits are per
 * billing period and not sortable.
 */
import { type RefObject, useEffect, useRef } from 'react';
import { Link } from 'wouter';
import { creditPercent, formatCredits, formatDate } from '../../lib/format';
import { Meter, StatusBadge } from '../../lib/ui';
import type { CustomerRow, Plan } from '../admin-types';
import { IdText } from '../id-text';
import { PlainHeader, SortHeader } from '../sort-header';
import { type CustomerSort, type CustomerSortKey, customerSortState } from './customer-sort';

export function customerLabel(customer: { name: string | null; email: string | null; id: string }): string {
  return customer.name ?? customer.email ?? customer.id;
}

export function CustomersTable(props: {
  rows: CustomerRow[];
  plans: Plan[] | undefined;
  sort: CustomerSort;
  onSort: (column: CustomerSortKey) => void;
  /** The header clicked before these rows loaded: it gets the focus back (the table was replaced). */
  refocus: RefObject<CustomerSortKey | null>;
}) {
  const planName = (id: string) => props.plans?.find((plan) => plan.id === id)?.name ?? id;
  const sort = customerSortState(props.sort);
  const head = useRef<HTMLTableSectionElement>(null);
  const { refocus } = props;
  useEffect(() => {
    if (refocus.current === null) return;
    head.current?.querySelector<HTMLButtonElement>(`[data-testid="sort-${refocus.current}"]`)?.focus();
    refocus.current = null;
  }, [refocus]);
  return (
    <div className="tg-table-wrap">
      <table className="tg-table tg-table-stack" data-testid="customers-table">
        <caption className="tg-visually-hidden">Customers</caption>
        <thead ref={head}>
          <tr>
            <SortHeader column="name" label="Customer" sort={sort} onSort={props.onSort} />
            <SortHeader column="plan" label="Tier" sort={sort} onSort={props.onSort} />
            <SortHeader column="status" label="Status" sort={sort} onSort={props.onSort} />
            <PlainHeader label="Credits used" />
            <SortHeader column="created" label="Created" sort={sort} onSort={props.onSort} />
          </tr>
        </thead>
        <tbody>
          {props.rows.map((row) => {
            const usage = row.usage;
            const percent = creditPercent(usage.credits_used, usage.monthly_limit);
            return (
              <tr key={row.id} data-testid="customer-row" data-customer-id={row.id}>
                <td data-label="Customer">
                  <Link href={`/customers/${encodeURIComponent(row.id)}`} className="tg-strong-link">
                    {customerLabel(row)}
                  </Link>
                  {row.name !== null && row.email !== null ? (
                    <div className="tg-small">{row.email}</div>
                  ) : null}
                  <div className="tg-small">
                    <IdText value={row.id} muted />
                  </div>
                </td>
                <td data-label="Tier">{planName(row.effective_plan)}</td>
                <td data-label="Status">
                  <StatusBadge status={row.status} />
                </td>
                <td data-label="Credits used" className="tg-meter-cell">
                  <Meter
                    id={`credits-${row.id}`}
                    label="Credits"
                    percent={percent}
                    detail={`${formatCredits(usage.credits_used)} / ${formatCredits(usage.monthly_limit)}${
                      usage.usage_percentage !== null ? ` (${usage.usage_percentage}%)` : ''
                    }`}
                  />
                </td>
                <td data-label="Created" className="tg-nowrap">
                  {formatDate(row.created_at)}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
