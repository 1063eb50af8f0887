/**
 * The pages talk to Tollgate over its HTTP API only, with one credential: a billing session token
 * (customer page) or an admin key (admin console). Errors arrive in the API's envelope
 * `{ error, message, ...details }` and are thrown as `ApiError` so a page can show the sentence.
 */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly body: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export type Credential = { kind: 'bearer'; token: string } | { kind: 'api-key'; key: string };

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  body?: unknown;
  query?: Record<string, string | number | boolean | undefined | null>;
  signal?: AbortSignal;
}

export class ApiClient {
  constructor(
    private readonly credential: () => Credential | null,
    /** Called on 401 so the page can drop its credential and say why. */
    private readonly onUnauthorized: (error: ApiError) => void = () => {},
    private readonly base = '',
  ) {}

  async request<T>(path: string, options: RequestOptions = {}): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    const credential = this.credential();
    if (credential?.kind === 'bearer') headers.Authorization = `Bearer ${credential.token}`;
    if (credential?.kind === 'api-key') headers['X-API-Key'] = credential.key;
    if (options.body !== undefined) headers['Content-Type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(this.base + path + queryString(options.query), {
        method: options.method ?? 'GET',
        headers,
        ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        credentials: 'omit',
        cache: 'no-store',
      });
    } catch (cause) {
      if (cause instanceof DOMException && cause.name === 'AbortError') throw cause;
      throw new ApiError(
        0,
        'network_error',
        'Tollgate could not be reached. Check your connection and retry.',
      );
    }
    const text = await response.text();
    let body: unknown = null;
    if (text.length > 0) {
      try {
        body = JSON.parse(text);
      } catch {
        body = null;
      }
    }
    if (!response.ok) {
      const envelope = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
      const error = new ApiError(
        response.status,
        typeof envelope.error === 'string' ? envelope.error : 'internal',
        typeof envelope.message === 'string'
          ? envelope.message
          : `The request failed with status ${response.status}.`,
        envelope,
      );
      if (response.status === 401) this.onUnauthorized(error);
      throw error;
    }
    return body as T;
  }

  get<T>(path: string, query?: RequestOptions['query'], signal?: AbortSignal): Promise<T> {
    return this.request<T>(path, { query, ...(signal ? { signal } : {}) });
  }

  post<T>(path: string, body: unknown = {}, signal?: AbortSignal): Promise<T> {
    return this.request<T>(path, { method: 'POST', body, ...(signal ? { signal } : {}) });
  }

  put<T>(path: string, body: unknown = {}): Promise<T> {
    return this.request<T>(path, { method: 'PUT', body });
  }

  patch<T>(path: string, body: unknown = {}): Promise<T> {
    return this.request<T>(path, { method: 'PATCH', body });
  }

  delete<T>(path: string): Promise<T> {
    return this.request<T>(path, { method: 'DELETE' });
  }
}

function queryString(query: RequestOptions['query']): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(name, String(value));
  }
  const text = params.toString();
  return text.length > 0 ? `?${text}` : '';
}
