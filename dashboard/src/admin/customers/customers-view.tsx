/**
 * The customer list, newest first unless a column header chose another order: filters and order in
 * the URL, 25 at a time with "Load more". The API sorts, so the order covers every customer; a new
 * order or filter starts again from the first page.
 */

import { useRef, useState } from 'react';
import { usePagedList } from '../../lib/use-paged-list';
import { ViewTitle } from '../admin-layout';
import { useApi } from '../admin-session';
import type { CustomerRow } from '../admin-types';
import { PagedTable } from '../paged-list-parts';
import { usePlans } from '../plan-names';
import { CustomerFilterBar, useCustomerFilters } from './customer-filters';
import { type CustomerSortKey, nextCustomerSort } from './customer-sort';
import { CustomersTable } from './customers-table';
import { type CustomerCursor, fetchCustomers } from './fetch-customers';
import { type CreatedCustomer, CreatedCustomerNotice, NewCustomerAction } from './new-customer-action';

export function CustomersView() {
  const api = useApi();
  const [filters, changeFilters] = useCustomerFilters();
  const plans = usePlans();
  const list = usePagedList<CustomerRow, CustomerCursor>(
    (cursor, signal) => fetchCustomers(api, filters, cursor, signal),
    [api, filters.search, filters.plan, filters.status, filters.sort],
  );
  const refocus = useRef<CustomerSortKey | null>(null);
  const sortBy = (column: CustomerSortKey) => {
    refocus.current = column;
    changeFilters({ sort: nextCustomerSort(filters.sort, column) });
  };
  const [created, setCreated] = useState<CreatedCustomer | null>(null);
  const filtered = filters.search !== '' || filters.plan !== '' || filters.status !== '';

  return (
    <>
      <ViewTitle
        detail={
          <NewCustomerAction
            onCreated={(customer) => {
              setCreated(customer);
              list.reload();
            }}
          />
        }
      >
        Customers
      </ViewTitle>
      {created ? <CreatedCustomerNotice created={created} onDismiss={() => setCreated(null)} /> : null}
      <CustomerFilterBar filters={filters} onChange={changeFilters} plans={plans} />
      <section className="tg-card tg-stack" aria-label="Customer list" data-testid="customers">
        <PagedTable
          list={list}
          noun={['customer', 'customers']}
          empty={filtered ? 'No customers match these filters.' : 'No customers yet.'}
        >
          {(rows) => (
            <CustomersTable rows={rows} plans={plans} sort={filters.sort} onSort={sortBy} refocus={refocus} />
          )}
        </PagedTable>
      </section>
    </>
  );
}
