/** One filter kept in the URL query (`?status=paid`), so a reload or a shared link keeps it. */
import { useCallback } from 'react';
import { useSearchParams } from 'wouter';

export function useQueryParam(name: string, allowed?: readonly string[]): [string, (value: string) => void] {
  const [params, setParams] = useSearchParams();
  const raw = params.get(name) ?? '';
  const value = allowed && !allowed.includes(raw) ? '' : raw;
  const set = useCallback(
    (next: string) =>
      setParams(
        (current) => {
          const updated = new URLSearchParams(current);
          if (next) updated.set(name, next);
          else updated.delete(name);
          return updated;
        },
        { replace: true },
      ),
    [name, setParams],
  );
  return [value, set];
}
