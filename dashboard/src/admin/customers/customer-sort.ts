/**
 * The customer list's order, sorted by the API over every customer (not the rows loaded so far): the
 * `sort` query value of GET /api/v1/admin/customers, kept in the page URL (?sort=-name) so a reload
 * or a shared link shows the same order. Usage is per billing period, not a column the API sorts by.
 */
import type { SortState } from '../sort-header';

export type CustomerSortKey = 'name' | 'plan' | 'status' | 'created';
export type CustomerSort = CustomerSortKey | `-${CustomerSortKey}`;

const keys: readonly CustomerSortKey[] = ['name', 'plan', 'status', 'created'];

/** Newest first. */
export const defaultCustomerSort: CustomerSort = '-created';

/** The sort in the URL if it is one the list offers, else the default. */
export function parseCustomerSort(value: string | null): CustomerSort {
  const key = value?.replace(/^-/, '');
  return value !== null && keys.includes(key as CustomerSortKey)
    ? (value as CustomerSort)
    : defaultCustomerSort;
}

export function customerSortState(sort: CustomerSort): SortState<CustomerSortKey> {
  return sort.startsWith('-')
    ? { key: sort.slice(1) as CustomerSortKey, direction: 'descending' }
    : { key: sort as CustomerSortKey, direction: 'ascending' };
}

/** A click on a column's header: ascending first, then the other way on the same column. */
export function nextCustomerSort(current: CustomerSort, column: CustomerSortKey): CustomerSort {
  return current === column ? `-${column}` : column;
}
