/** The customer rows: who, tier, status, credits this period (with a meter) and when created. */
import { Link } from 'wouter';
import { formatCredits, formatDate, percentOf } from '../../lib/format';
import { Meter, StatusBadge } from '../../lib/ui';
import type { CustomerRow, Plan } from '../admin-types';
import { SortHeader, useSortedRows } from '../sort-header';

type Column = 'name' | 'tier' | 'status' | 'usage' | 'created';

const sortKeys: Record<Column, (row: CustomerRow) => string | number> = {
  name: (row) => row.name ?? row.email ?? row.id,
  tier: (row) => row.effective_plan,
  status: (row) => row.status,
  usage: (row) => percentOf(row.usage.credits_used, row.usage.monthly_limit) ?? -1,
  created: (row) => row.created_at,
};

export function customerLabel(customer: { name: string | null; email: string | null; id: string }): string {
  return customer.name ?? customer.email ?? customer.id;
}

export function CustomersTable(props: { rows: CustomerRow[]; plans: Plan[] | undefined }) {
  const { sorted, sort, toggle } = useSortedRows(props.rows, sortKeys);
  const planName = (id: string) => props.plans?.find((plan) => plan.id === id)?.name ?? id;
  return (
    <>
      <p className="tg-small tg-muted" id="customers-sort-note">
        Sorting orders the customers loaded so far; load more to sort over more of them.
      </p>
      <div className="tg-table-wrap">
        <table
          className="tg-table tg-table-stack"
          aria-describedby="customers-sort-note"
          data-testid="customers-table"
        >
          <caption className="tg-visually-hidden">Customers</caption>
          <thead>
            <tr>
              <SortHeader column="name" label="Customer" sort={sort} onSort={toggle} />
              <SortHeader column="tier" label="Tier" sort={sort} onSort={toggle} />
              <SortHeader column="status" label="Status" sort={sort} onSort={toggle} />
              <SortHeader column="usage" label="Credits used" sort={sort} onSort={toggle} />
              <SortHeader column="created" label="Created" sort={sort} onSort={toggle} />
            </tr>
          </thead>
          <tbody>
            {sorted.map((row) => {
              const usage = row.usage;
              const percent = percentOf(usage.credits_used, usage.monthly_limit);
              return (
                <tr key={row.id} data-testid="customer-row" data-customer-id={row.id}>
                  <td data-label="Customer">
                    <Link href={`/customers/${encodeURIComponent(row.id)}`} className="tg-strong-link">
                      {customerLabel(row)}
                    </Link>
                    {row.name !== null && row.email !== null ? (
                      <div className="tg-small">{row.email}</div>
                    ) : null}
                    <div className="tg-small tg-muted tg-code">{row.id}</div>
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
    </>
  );
}
