/**
 * Loads one API resource for a component, with the three honest states: loading (first load only;
 * a reload keeps showing the last data), error (with the API's sentence) and ready. `reload()` fetches
 * again; `refreshMs` polls while the tab is visible.
 */
import { useCallback, useEffect, useRef, useState } from 'react';

export type Resource<T> =
  | { state: 'loading'; data: undefined; error: undefined; reload: () => void }
  | { state: 'error'; data: T | undefined; error: Error; reload: () => void }
  | { state: 'ready'; data: T; error: undefined; reload: () => void };

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

  if (!value.loaded) return { state: 'loading', data: undefined, error: undefined, reload };
  if (value.error) return { state: 'error', data: value.data, error: value.error, reload };
  return { state: 'ready', data: value.data as T, error: undefined, reload };
}
