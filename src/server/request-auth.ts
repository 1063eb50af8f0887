/**
 * Reads the credential from `X-API-Key` or `Authorization: Bearer`. The customer is taken only from
 * the authenticated key (or billing session), never from a header or body.
 *
 * A billing session (`tgs_...`, see core/billing/dashboard-sessions.ts) is recognised by its prefix and
 * accepted only where the caller passes the sessions resolver, i.e. on routes declared with
 * `sessions: true`; anywhere else it is refused with 403 before any lookup.
 */
import { BILLING_SESSION_PREFIX, type DashboardSessions } from '../core/billing/dashboard-sessions.js';
import { TollgateError } from '../core/errors.js';
import type { Principal, Tollgate } from '../core/tollgate.js';

/** Who called: an API key's principal, or a billing session opened from a dashboard link. */
export type Caller = Principal | { kind: 'session'; customerId: string; expiresAt: number };

export function apiKeyFrom(headers: Record<string, string | string[] | undefined>): string | undefined {
  const direct = headers['x-api-key'];
  if (typeof direct === 'string' && direct.length > 0) return direct;
  const authorization = headers.authorization;
  if (typeof authorization === 'string' && authorization.startsWith('Bearer '))
    return authorization.slice(7).trim();
  return undefined;
}

export const sessionForbidden = (): TollgateError =>
  new TollgateError('forbidden', 'A billing session cannot call this endpoint.');

/**
 * The caller of a request. `sessions` is given only for routes that billing sessions may call; a
 * session token elsewhere answers 403.
 */
export async function authenticateRequest(
  tollgate: Tollgate,
  headers: Record<string, string | string[] | undefined>,
  sessions?: DashboardSessions,
): Promise<Caller> {
  const key = apiKeyFrom(headers);
  if (key?.startsWith(BILLING_SESSION_PREFIX)) {
    if (!sessions) throw sessionForbidden();
    const session = key.length <= 200 ? await sessions.resolve(key) : undefined;
    if (!session)
      throw new TollgateError(
        'unauthorized',
        'This billing session has expired or ended. Open billing again from the app.',
      );
    return { kind: 'session', customerId: session.customerId, expiresAt: session.expiresAt };
  }
  const principal = key === undefined ? undefined : await tollgate.authenticate(key);
  if (!principal) throw new TollgateError('unauthorized');
  return principal;
}

export async function authenticateCustomer(
  tollgate: Tollgate,
  headers: Record<string, string | string[] | undefined>,
): Promise<{ customerId: string; keyId: string }> {
  const principal = await authenticateRequest(tollgate, headers);
  if (principal.kind !== 'customer')
    throw new TollgateError('forbidden', 'This endpoint needs a customer key.');
  return { customerId: principal.customerId, keyId: principal.keyId };
}

/** The API key a customer route was called with (none for a billing session): the gate counts it. */
export function callerKeyId(caller: Caller): string | undefined {
  return caller.kind === 'customer' ? caller.keyId : undefined;
}
