/**
 * Loads one API resource for a component, with the three honest states: loading (first load only;
 * a reload keeps showing the last data), error (with the API's sentence) and ready. `reload()` fetches
 * again; `refreshMs` polls while the tab is visible; `replace(data)` shows an answer the caller already
 * has (an action's result) until the next load.
 */
import { useCallback, useEffect, useRef, useState } from 'react';

interface Reloadable<T> {
  reload: () => void;
  replace: (data: T) => void;
}

export type Resource<T> =
  | ({ state: 'loading'; data: undefined; error: undefined } & Reloadable<T>)
  | ({ state: 'error'; data: T | undefined; error: Error } & Reloadable<T>)
  | ({ state: 'ready'; data: T; error: undefined } & Reloadable<T>);

export function useResource<T>(
  load: (signal: AbortSignal) => Promise<T>,
  deps: readonly unknown[],
  options: { refreshMs?: number } = {},
): Resource<T> {
  const [value, setValue] = useState<{ data?: T; error?: Error; loaded: boolean }>({ loaded: false });
  const [generation, setGeneration] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const reload = useCallback(() => setGeneration((n) => n + 1), []);
  const replace = useCallback((data: T) => setValue({ data, loaded: true }), []);

  // biome-ignore lint/correctness/useExhaustiveDependencies: deps are the caller's, plus the reload counter
  useEffect(() => {
    const controller = new AbortController();
    loadRef.current(controller.signal).then(
      (data) => {
        if (!controller.signal.aborted) setValue({ data, loaded: true });
      },
      (error: unknown) => {
        if (controller.signal.aborted) return;
        setValue((previous) => ({
          ...previous,
          error: error instanceof Error ? error : new Error(String(error)),
          loaded: true,
        }));
      },
    );
    return () => controller.abort();
  }, [...deps, generation]);

  const refreshMs = options.refreshMs;
  useEffect(() => {
    if (!refreshMs) return;
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') reload();
    }, refreshMs);
    return () => clearInterval(timer);
  }, [refreshMs, reload]);

  if (!value.loaded) return { state: 'loading', data: undefined, error: undefined, reload, replace };
  if (value.error) return { state: 'error', data: value.data, error: value.error, reload, replace };
  return { state: 'ready', data: value.data as T, error: undefined, reload, replace };
}
