/**
 * Sortable column headers: a button in the th (keyboard and screen readers get it for free) and
 * aria-sort on the th. Sorting orders the rows already loaded; it does not fetch.
 */
import { useMemo, useState } from 'react';

export type SortDirection = 'ascending' | 'descending';
export interface SortState<K extends string> {
  key: K;
  direction: SortDirection;
}

export function useSortedRows<T, K extends string>(
  rows: T[],
  keys: Record<K, (row: T) => string | number>,
  initial: SortState<K> | null = null,
) {
  const [sort, setSort] = useState<SortState<K> | null>(initial);
  const sorted = useMemo(() => {
    if (sort === null) return rows;
    const value = keys[sort.key];
    const factor = sort.direction === 'ascending' ? 1 : -1;
    return [...rows].sort((a, b) => {
      const x = value(a);
      const y = value(b);
      const order =
        typeof x === 'number' && typeof y === 'number'
          ? x - y
          : String(x).localeCompare(String(y), undefined, { sensitivity: 'base', numeric: true });
      return order * factor;
    });
  }, [rows, sort, keys]);
  const toggle = (key: K) =>
    setSort((current) =>
      current?.key === key && current.direction === 'ascending'
        ? { key, direction: 'descending' }
        : { key, direction: 'ascending' },
    );
  return { sorted, sort, toggle };
}

export function SortHeader<K extends string>(props: {
  column: K;
  label: string;
  sort: SortState<K> | null;
  onSort: (column: K) => void;
  className?: string;
}) {
  const active = props.sort?.key === props.column;
  const direction = active ? props.sort?.direction : undefined;
  return (
    <th scope="col" aria-sort={direction ?? 'none'} className={props.className}>
      <button
        type="button"
        className="tg-sort-button"
        onClick={() => props.onSort(props.column)}
        data-testid={`sort-${props.column}`}
      >
        {props.label}
        <span aria-hidden="true" className="tg-sort-arrow">
          {direction === 'ascending' ? '▲' : direction === 'descending' ? '▼' : '↕'}
        </span>
      </button>
    </th>
  );
}
