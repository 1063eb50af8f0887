/**
 * The customer list, newest first: filters in the URL, 25 at a time with "Load more", columns sortable
 * over the rows loaded so far.
 */

import { usePagedList } from '../../lib/use-paged-list';
import { useResource } from '../../lib/use-resource';
import { ViewTitle } from '../admin-layout';
import { useApi } from '../admin-session';
import type { CustomerRow, PlanCatalog } from '../admin-types';
import { PagedTable } from '../paged-list-parts';
import { CustomerFilterBar, useCustomerFilters } from './customer-filters';
import { CustomersTable } from './customers-table';
import { type CustomerCursor, fetchCustomers } from './fetch-customers';

export function CustomersView() {
  const api = useApi();
  const [filters, changeFilters] = useCustomerFilters();
  const plans = useResource((signal) => api.get<PlanCatalog>('/api/v1/plans', undefined, signal), [api]);
  const list = usePagedList<CustomerRow, CustomerCursor>(
    (cursor, signal) => fetchCustomers(api, filters, cursor, signal),
    [api, filters.search, filters.plan, filters.status],
  );
  const filtered = filters.search !== '' || filters.plan !== '' || filters.status !== '';

  return (
    <>
      <ViewTitle>Customers</ViewTitle>
      <CustomerFilterBar filters={filters} onChange={changeFilters} plans={plans.data?.plans} />
      <section className="tg-card tg-stack" aria-label="Customer list" data-testid="customers">
        <PagedTable
          list={list}
          label="customers"
          empty={filtered ? 'No customers match these filters.' : 'No customers yet.'}
        >
          {(rows) => <CustomersTable rows={rows} plans={plans.data?.plans} />}
        </PagedTable>
      </section>
    </>
  );
}
