/**
 * One admin action's state: `run(work)` marks it busy, clears the last error, awaits the work and keeps
 * the refusal's sentence as `error` (the API's message, or the generic retry sentence); it never
 * throws, so a form or dialog can call it as is. `fail(message)` shows a sentence found before any
 * request (a figure that is not one), `clear()` forgets the error (a dialog closed or reopened).
 * `describe` turns a refusal into its sentence when a form says more than the API's message.
 */
import { useCallback, useState } from 'react';
import { errorText } from './ui';

export interface Action {
  busy: boolean;
  error: string | null;
  run: (work: () => Promise<unknown>) => Promise<void>;
  fail: (message: string) => void;
  clear: () => void;
}

export function refusalSentence(caught: unknown): string {
  return caught instanceof Error ? errorText(caught) : String(caught);
}

export function useAction(describe: (caught: unknown) => string = refusalSentence): Action {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = async (work: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await work();
    } catch (caught) {
      setError(describe(caught));
    } finally {
      setBusy(false);
    }
  };
  const clear = useCallback(() => setError(null), []);
  return { busy, error, run, fail: setError, clear };
}
