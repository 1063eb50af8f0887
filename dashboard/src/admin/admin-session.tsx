/**
 * The console's one credential: the admin key, kept in sessionStorage (gone when the tab closes) and
 * sent as X-API-Key. Any 401, or a 403 `forbidden` (a customer key, or a key revoked since), drops it
 * and returns to the sign-in form with the API's sentence.
 */
import { createContext, useContext } from 'react';
import { ApiClient, ApiError, type RequestOptions } from '../lib/api';

const storageKey = 'tollgate.admin-key';

export function readAdminKey(): string | null {
  try {
    return sessionStorage.getItem(storageKey);
  } catch {
    return null;
  }
}

export function storeAdminKey(key: string | null): void {
  try {
    if (key === null) sessionStorage.removeItem(storageKey);
    else sessionStorage.setItem(storageKey, key);
  } catch {
    // Storage can be disabled; the key then lives only in memory for this page.
  }
}

/** True for the answers that mean "this key may not use the admin API". */
export function isAccessDenied(error: unknown): error is ApiError {
  return (
    error instanceof ApiError &&
    (error.status === 401 || (error.status === 403 && error.code === 'forbidden'))
  );
}

/**
 * What the sign-in form says when the API refuses a key: the API's sentences are written for any
 * caller ("A valid API key is required."), the console knows it asked for an admin key.
 */
export function signInMessage(error: ApiError): string {
  if (error.status === 403 && error.code === 'forbidden')
    return 'This key is not an admin key (it belongs to a customer or a billing session). Sign in with an admin key: TOLLGATE_ADMIN_KEY, or one from `tollgate keys create --admin`.';
  if (error.status === 401)
    return 'This key was not accepted: it is mistyped, revoked, or not a Tollgate key. Check it and sign in again.';
  return error.message;
}

/** An ApiClient that also treats a 403 `forbidden` as a lost credential (ApiClient reacts to 401 only). */
export class AdminApiClient extends ApiClient {
  constructor(
    key: () => string | null,
    private readonly onDenied: (error: ApiError) => void,
  ) {
    super(() => {
      const value = key();
      return value === null ? null : { kind: 'api-key', key: value };
    });
  }

  override async request<T>(path: string, options: RequestOptions = {}): Promise<T> {
    try {
      return await super.request<T>(path, options);
    } catch (error) {
      if (isAccessDenied(error)) this.onDenied(error);
      throw error;
    }
  }
}

export interface AdminSession {
  api: ApiClient;
  signOut: (message?: string) => void;
}

export const AdminSessionContext = createContext<AdminSession | null>(null);

export function useAdminSession(): AdminSession {
  const session = useContext(AdminSessionContext);
  if (!session) throw new Error('useAdminSession outside the signed-in console');
  return session;
}

export function useApi(): ApiClient {
  return useAdminSession().api;
}
