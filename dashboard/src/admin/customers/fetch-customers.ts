/**
 * Pages of customers for the list, by the filters and the order in the URL (the API sorts, so the
 * order covers every customer). The API's status filter and status sort read the status as it stands
 * now (a past_due customer out of grace is suspended), like the status each row shows.
 */
import type { ApiClient } from '../../lib/api';
import type { Page } from '../../lib/use-paged-list';
import type { AccountStatus, CustomerPage, CustomerRow } from '../admin-types';
import type { CustomerSort } from './customer-sort';

export interface CustomerFilters {
  search: string;
  plan: string;
  status: AccountStatus | '';
  sort: CustomerSort;
}

export interface CustomerCursor {
  after: string | null;
}

const pageSize = 25;

export async function fetchCustomers(
  api: ApiClient,
  filters: CustomerFilters,
  cursor: CustomerCursor | null,
  signal: AbortSignal,
): Promise<Page<CustomerRow, CustomerCursor>> {
  const page = await api.get<CustomerPage>(
    '/api/v1/admin/customers',
    {
      limit: pageSize,
      starting_after: cursor?.after,
      plan: filters.plan,
      status: filters.status,
      search: filters.search,
      sort: filters.sort,
    },
    signal,
  );
  return {
    items: page.data,
    next: page.has_more && page.next_starting_after !== null ? { after: page.next_starting_after } : null,
  };
}
