/**
 * What rate and concurrency limits do while the shared counters (Redis) are out of reach, as a
 * setting (`TOLLGATE_REDIS_FAILURE`):
 * - `open` (the default): keep serving, counting on this instance's own in-memory counters. Limits
 *   still hold, per instance (with N instances a customer gets up to N times its per-minute limit)
 *   rather than not at all. Credits and quotas live in the database, not in Redis, so money and
 *   quota exactness do not depend on it.
 * - `closed`: refuse the requests that need a rate or concurrency count with 503
 *   `limits_unavailable`, for deployments where no request may pass uncounted across instances.
 *
 * A failed call opens a short breaker: for `retryAfterMs` every call goes to the fallback (or is
 * refused) at once, without waiting on Redis again; the next call after it tries Redis, and a
 * success brings every call back to it. Reads (`peekRate`, for the figures shown) use the fallback in
 * both modes: they admit nothing. Input errors (TypeError) are never taken for an outage.
 */
import { TollgateError } from '../core/errors.js';
import type { Counters, RateResult, RateWindow, SlotResult } from '../core/ports.js';
import { createMemoryCounters } from './memory-counters.js';

export type CountersFailureMode = 'open' | 'closed';

export interface FallbackCountersOptions {
  /** The shared counters (Redis). Closed with this. */
  primary: Counters;
  mode?: CountersFailureMode;
  /** This instance's own counters, used in `open` mode; default in memory. Closed with this. */
  fallback?: Counters;
  /** How long calls skip the primary after it failed; default 1 s. */
  retryAfterMs?: number;
  /** Told when the primary fails and when it answers again (logs, metrics). */
  onStateChange?: (state: 'degraded' | 'recovered', error?: unknown) => void;
  /** Wall-clock milliseconds, for the breaker; default `performance.now`. */
  now?: () => number;
}

const LOCAL = 'local:';

/**
 * @example
 * const counters = createFallbackCounters({ primary: createRedisCounters({ url }), mode: 'open' });
 */
export function createFallbackCounters(options: FallbackCountersOptions): Counters {
  const { primary } = options;
  const mode = options.mode ?? 'open';
  const fallback = options.fallback ?? createMemoryCounters();
  const retryAfterMs = options.retryAfterMs ?? 1000;
  const now = options.now ?? (() => performance.now());
  let degradedUntil: number | null = null;

  const degraded = () => degradedUntil !== null && now() < degradedUntil;

  function failed(error: unknown): void {
    if (degradedUntil === null) options.onStateChange?.('degraded', error);
    degradedUntil = now() + retryAfterMs;
  }

  function answered(): void {
    if (degradedUntil === null) return;
    degradedUntil = null;
    options.onStateChange?.('recovered');
  }

  const refuse = () =>
    new TollgateError('limits_unavailable', 'Rate limits cannot be checked right now; try again.');

  /** Runs a call on the primary, else (open) on the fallback or (closed) refuses it. */
  async function run<T>(
    onPrimary: () => Promise<T>,
    onFallback: () => Promise<T>,
    whenClosed: 'refuse' | 'fallback' = 'refuse',
  ): Promise<T> {
    const degradedCall = () => {
      if (mode === 'closed' && whenClosed === 'refuse') throw refuse();
      return onFallback();
    };
    if (degraded()) return degradedCall();
    try {
      const result = await onPrimary();
      answered();
      return result;
    } catch (error) {
      if (error instanceof TypeError) throw error;
      failed(error);
      return degradedCall();
    }
  }

  return {
    hitRate: (windows: readonly RateWindow[]): Promise<RateResult> =>
      run(
        () => primary.hitRate(windows),
        () => fallback.hitRate(windows),
      ),

    peekRate: (windows: readonly RateWindow[]): Promise<number[]> =>
      run(
        () => primary.peekRate(windows),
        () => fallback.peekRate(windows),
        'fallback',
      ),

    // Taken back where it was most likely counted: the fallback while degraded, else the primary.
    undoRate: (windows: readonly RateWindow[]): Promise<void> =>
      run(
        () => primary.undoRate(windows),
        () => fallback.undoRate(windows),
        'fallback',
      ),

    acquireSlot: (key: string, limit: number, at: number, expiresAt: number): Promise<SlotResult> =>
      run(
        () => primary.acquireSlot(key, limit, at, expiresAt),
        async () => {
          const slot = await fallback.acquireSlot(key, limit, at, expiresAt);
          return slot.token === undefined ? slot : { ...slot, token: `${LOCAL}${slot.token}` };
        },
      ),

    async releaseSlot(key: string, token: string): Promise<void> {
      if (token.startsWith(LOCAL)) return fallback.releaseSlot(key, token.slice(LOCAL.length));
      // A slot that cannot be released now frees itself when its lease ends.
      await primary.releaseSlot(key, token).catch((error: unknown) => {
        if (error instanceof TypeError) throw error;
        failed(error);
      });
    },

    async close(): Promise<void> {
      await Promise.all([primary.close(), fallback.close()]);
    },
  };
}
