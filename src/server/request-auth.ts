/**
 * Reads the API key from `X-API-Key` or `Authorization: Bearer`. The customer is taken only from the
 * authenticated key, never from a header or body.
 */
import { TollgateError } from '../core/errors.js';
import type { Principal, Tollgate } from '../core/tollgate.js';

export function apiKeyFrom(headers: Record<string, string | string[] | undefined>): string | undefined {
  const direct = headers['x-api-key'];
  if (typeof direct === 'string' && direct.length > 0) return direct;
  const authorization = headers.authorization;
  if (typeof authorization === 'string' && authorization.startsWith('Bearer '))
    return authorization.slice(7).trim();
  return undefined;
}

export async function authenticateRequest(
  tollgate: Tollgate,
  headers: Record<string, string | string[] | undefined>,
): Promise<Principal> {
  const key = apiKeyFrom(headers);
  const principal = key === undefined ? undefined : await tollgate.authenticate(key);
  if (!principal) throw new TollgateError('unauthorized');
  return principal;
}

export async function authenticateCustomer(
  tollgate: Tollgate,
  headers: Record<string, string | string[] | undefined>,
): Promise<string> {
  const principal = await authenticateRequest(tollgate, headers);
  if (principal.kind !== 'customer')
    throw new TollgateError('forbidden', 'This endpoint needs a customer key.');
  return principal.customerId;
}
