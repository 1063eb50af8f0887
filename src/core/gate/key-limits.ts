/**
 * The gate's part of team keys (docs/decisions/015): a key's own request windows, counted in the same
 * atomic `hitRate` as its customer's, and the refusal that names the key. A key's credit limit is
 * decided in the store transaction (`decideDebits`), not here.
 */
import { invalidRequest, TollgateError } from '../errors.js';
import { DAY_MS, MINUTE_MS, windowStart } from '../periods.js';
import type { ApiKeyRecord, KeyLimits, RateWindow } from '../ports.js';
import type { KeyRefusal } from './gate-decision.js';

/** Rate-limit keys of an API key's own windows start with this (the customer's with `rate:`). */
const KEY_WINDOW_PREFIX = 'key:';

/** Whether a rate window is a key's own (the decision headers show only the customer's). */
export function isKeyWindow(window: RateWindow): boolean {
  return window.key.startsWith(KEY_WINDOW_PREFIX);
}

/** Adds the key's own minute and day windows to the request's windows. */
export function addKeyWindows(windows: RateWindow[], keyId: string, limits: KeyLimits, now: number): void {
  if (limits.requestsPerMinute !== null) {
    windows.push({
      key: `${KEY_WINDOW_PREFIX}${keyId}:minute`,
      limit: limits.requestsPerMinute,
      windowStart: windowStart(now, MINUTE_MS),
      windowMs: MINUTE_MS,
    });
  }
  if (limits.requestsPerDay !== null) {
    windows.push({
      key: `${KEY_WINDOW_PREFIX}${keyId}:day`,
      limit: limits.requestsPerDay,
      windowStart: windowStart(now, DAY_MS),
      windowMs: DAY_MS,
    });
  }
}

/** The refusal of a full window when it is the key's own; null when it is the customer's. */
export function keyRateRefusal(window: RateWindow, key: { id: string } | undefined): KeyRefusal | null {
  if (key === undefined || !isKeyWindow(window)) return null;
  return {
    keyId: key.id,
    kind: 'rate',
    window: window.windowMs === MINUTE_MS ? 'minute' : 'day',
    limit: window.limit,
  };
}

/** Refuses a key that is not the customer's (in-process callers name keys by id), or revoked (401). */
export function checkKeyOf(key: ApiKeyRecord, customerId: string): void {
  if (key.customerId !== customerId) {
    throw invalidRequest([{ path: 'keyId', message: `key '${key.id}' is not this customer's` }]);
  }
  // A revoked key is an authentication failure wherever it is found, also when a request authenticated
  // on a cached copy just before another instance's revocation reached this one.
  if (key.revokedAt !== null) throw new TollgateError('unauthorized', 'This API key has been revoked.');
}
