/**
 * The customer list, newest first unless a column header chose another order: filters and order in
 * the URL, 25 at a time with "Load more". The API sorts, so the order covers every customer; a new
 * order or filter starts again from the first page.
 */

import { useRef } from 'react';
import { usePagedList } from '../../lib/use-paged-list';
import { useResource } from '../../lib/use-resource';
import { ViewTitle } from '../admin-layout';
import { useApi } from '../admin-session';
import type { CustomerRow, PlanCatalog } from '../admin-types';
import { PagedTable } from '../paged-list-parts';
import { CustomerFilterBar, useCustomerFilters } from './customer-filters';
import { type CustomerSortKey, nextCustomerSort } from './customer-sort';
import { CustomersTable } from './customers-table';
import { type CustomerCursor, fetchCustomers } from './fetch-customers';

export function CustomersView() {
  const api = useApi();
  const [filters, changeFilters] = useCustomerFilters();
  const plans = useResource((signal) => api.get<PlanCatalog>('/api/v1/plans', undefined, signal), [api]);
  const list = usePagedList<CustomerRow, CustomerCursor>(
    (cursor, signal) => fetchCustomers(api, filters, cursor, signal),
    [api, filters.search, filters.plan, filters.status, filters.sort],
  );
  const refocus = useRef<CustomerSortKey | null>(null);
  const sortBy = (column: CustomerSortKey) => {
    refocus.current = column;
    changeFilters({ sort: nextCustomerSort(filters.sort, column) });
  };
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
          {(rows) => (
            <CustomersTable
              rows={rows}
              plans={plans.data?.plans}
              sort={filters.sort}
              onSort={sortBy}
              refocus={refocus}
            />
          )}
        </PagedTable>
      </section>
    </>
  );
}
