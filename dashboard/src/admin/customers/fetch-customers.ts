/**
 * Pages of customers for the list, by the filters in the URL. The API's status filter matches the
 * status on record, but "suspended" is computed: a past_due customer whose grace period is over shows
 * as suspended while its record still says past_due. So "suspended" reads the suspended and the
 * past_due records (newest first) and keeps the rows whose current status is suspended, and "past_due" keeps only
 * those still in their grace period. Empty pages after that filter are skipped (a few at most).
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
  source: number;
  after: string | null;
}

const pageSize = 25;
const maxRequestsPerPage = 5;

function sourcesFor(status: CustomerFilters['status']): {
  statuses: (AccountStatus | undefined)[];
  keep: (row: CustomerRow) => boolean;
} {
  if (status === 'suspended') {
    return { statuses: ['suspended', 'past_due'], keep: (row) => row.status === 'suspended' };
  }
  if (status === 'past_due') return { statuses: ['past_due'], keep: (row) => row.status === 'past_due' };
  return { statuses: [status === '' ? undefined : status], keep: () => true };
}

export async function fetchCustomers(
  api: ApiClient,
  filters: CustomerFilters,
  cursor: CustomerCursor | null,
  signal: AbortSignal,
): Promise<Page<CustomerRow, CustomerCursor>> {
  const { statuses, keep } = sourcesFor(filters.status);
  let position: CustomerCursor | null = cursor ?? { source: 0, after: null };
  const items: CustomerRow[] = [];
  for (let request = 0; position !== null && request < maxRequestsPerPage; request += 1) {
    const page: CustomerPage = await api.get<CustomerPage>(
      '/api/v1/admin/customers',
      {
        limit: pageSize,
        starting_after: position.after,
        plan: filters.plan,
        status: statuses[position.source],
        search: filters.search,
        sort: '-id',
      },
      signal,
    );
    items.push(...page.data.filter(keep));
    position =
      page.has_more && page.next_starting_after !== null
        ? { source: position.source, after: page.next_starting_after }
        : position.source + 1 < statuses.length
          ? { source: position.source + 1, after: null }
          : null;
    if (items.length > 0) break;
  }
  return { items, next: position };
}
