/**
 * Sortable column headers: a button in the th (keyboard and screen readers get it for free) and
 * aria-sort on the th. The header only reports the click; the caller orders the rows (the customer
 * list asks the API, so the order covers every customer).
 */

export type SortDirection = 'ascending' | 'descending';
export interface SortState<K extends string> {
  key: K;
  direction: SortDirection;
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

/**
 * A header of a column that cannot be sorted, in a table with sortable ones: plain text (no button,
 * no aria-sort), on the same line as the buttons beside it.
 */
export function PlainHeader(props: { label: string; className?: string }) {
  return (
    <th scope="col" className={props.className}>
      <span style={{ display: 'inline-flex', alignItems: 'center', minHeight: 32, padding: '0.25rem 0' }}>
        {props.label}
      </span>
    </th>
  );
}
