/**
 * What every paged table shows around its rows: a skeleton of fixed height on the first load, the
 * API's error with Retry, an honest empty state, and "Load more" with its progress announced.
 */
import type { ReactNode } from 'react';
import { plural } from '../lib/format';
import { EmptyState, ErrorState, Skeleton } from '../lib/ui';
import type { PagedList } from '../lib/use-paged-list';

export function PagedTable<T>(props: {
  list: PagedList<T>;
  /** What the rows are, singular and plural: "customer", "customers". */
  noun: [string, string];
  empty: ReactNode;
  height?: number;
  children: (items: T[]) => ReactNode;
}) {
  const { list } = props;
  if (list.state === 'loading')
    return <Skeleton height={props.height ?? 320} label={`Loading ${props.noun[1]}`} />;
  if (list.items.length === 0) {
    if (list.state === 'error' && list.error) return <ErrorState error={list.error} retry={list.reload} />;
    return (
      <div data-testid="empty-state">
        <EmptyState>{props.empty}</EmptyState>
      </div>
    );
  }
  return (
    <>
      {props.children(list.items)}
      {list.error ? (
        <ErrorState error={list.error} retry={list.hasMore ? list.loadMore : list.reload} />
      ) : null}
      <div className="tg-row">
        {list.hasMore ? (
          <button
            type="button"
            className="tg-button"
            data-variant="secondary"
            onClick={list.loadMore}
            disabled={list.loadingMore}
            data-testid="load-more"
          >
            {list.loadingMore ? 'Loading…' : 'Load more'}
          </button>
        ) : null}
        <span className="tg-small tg-muted" role="status" aria-live="polite">
          {list.loadingMore
            ? ''
            : `${plural(list.items.length, ...props.noun)} shown${list.hasMore ? '' : ', all loaded'}`}
        </span>
      </div>
    </>
  );
}
