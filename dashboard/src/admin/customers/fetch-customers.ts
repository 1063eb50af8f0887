/**
 * Pages of customers for the list, by the filters in the URL, newest first. The API's status filter
 * matches the status as it stands now (a past_due customer out of grace is suspended), like the
 * status each row shows.
 */
import type { ApiClient } from '../../lib/api';
import type { Page } from '../../lib/use-paged-list';
import type { AccountStatus, CustomerPage, CustomerRow } from '../admin-types';

export interface CustomerFilters {
  search: string;
  plan: string;
  status: AccountStatus | '';
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
      sort: '-id',
    },
    signal,
  );
  return {
    items: page.data,
    next: page.has_more && page.next_starting_after !== null ? { after: page.next_starting_after } : null,
  };
}
