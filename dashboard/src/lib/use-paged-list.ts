/**
 * A list loaded a page at a time ("Load more"): the first page on mount and whenever `deps` change,
 * the next one on `loadMore()`, appended. The cursor is the caller's (usually the last id). A failed
 * page keeps the rows already shown and reports the error beside them.
 */
import { useCallback, useEffect, useRef, useState } from 'react';

export interface Page<T, C> {
  items: T[];
  /** Where the next page starts; null when this was the last one. */
  next: C | null;
}

export interface PagedList<T> {
  state: 'loading' | 'error' | 'ready';
  items: T[];
  error: Error | undefined;
  hasMore: boolean;
  loadingMore: boolean;
  loadMore: () => void;
  reload: () => void;
  /** Changes rows in place (e.g. after an action on one), without fetching. */
  update: (change: (items: T[]) => T[]) => void;
}

interface ListState<T, C> {
  items: T[];
  next: C | null;
  error: Error | undefined;
  loaded: boolean;
  loadingMore: boolean;
}

export function usePagedList<T, C>(
  fetchPage: (cursor: C | null, signal: AbortSignal) => Promise<Page<T, C>>,
  deps: readonly unknown[],
): PagedList<T> {
  const [list, setList] = useState<ListState<T, C>>({
    items: [],
    next: null,
    error: undefined,
    loaded: false,
    loadingMore: false,
  });
  const [generation, setGeneration] = useState(0);
  const fetchRef = useRef(fetchPage);
  fetchRef.current = fetchPage;
  const controller = useRef<AbortController | null>(null);

  const run = useCallback((cursor: C | null) => {
    controller.current?.abort();
    const current = new AbortController();
    controller.current = current;
    const append = cursor !== null;
    if (append) setList((previous) => ({ ...previous, loadingMore: true, error: undefined }));
    else setList((previous) => ({ ...previous, loaded: false, error: undefined, items: [], next: null }));
    fetchRef.current(cursor, current.signal).then(
      (page) => {
        if (current.signal.aborted) return;
        setList((previous) => ({
          items: append ? [...previous.items, ...page.items] : page.items,
          next: page.next,
          error: undefined,
          loaded: true,
          loadingMore: false,
        }));
      },
      (error: unknown) => {
        if (current.signal.aborted) return;
        setList((previous) => ({
          ...previous,
          error: error instanceof Error ? error : new Error(String(error)),
          loaded: true,
          loadingMore: false,
        }));
      },
    );
  }, []);

  // biome-ignore lint/correctness/useExhaustiveDependencies: deps are the caller's, plus the reload counter
  useEffect(() => {
    run(null);
    return () => controller.current?.abort();
  }, [...deps, generation]);

  const next = list.next;
  const loadMore = useCallback(() => {
    if (next !== null) run(next);
  }, [next, run]);
  const reload = useCallback(() => setGeneration((n) => n + 1), []);
  const update = useCallback(
    (change: (items: T[]) => T[]) => setList((previous) => ({ ...previous, items: change(previous.items) })),
    [],
  );

  return {
    state: !list.loaded ? 'loading' : list.error ? 'error' : 'ready',
    items: list.items,
    error: list.error,
    hasMore: list.next !== null,
    loadingMore: list.loadingMore,
    loadMore,
    reload,
    update,
  };
}
