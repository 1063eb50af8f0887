/**
 * The HTTP front: request ids, auth, faults, body parsing, idempotency, dispatch and `expand[]`.
 *
 * One origin serves four things: the Stripe API (`/v1`, `/v2`), hosted pages a browser opens (Checkout,
 * Portal, invoices), the control API (`/_emulator`) and nothing else. Only the API needs a secret key
 * and is subject to injected faults.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { API_VERSION, type Engine } from './engine.js';
import { authenticationFailed, StripeApiError, unknownRoute } from './errors.js';
import { expandPaths } from './expand.js';
import { fingerprintOf, type IdempotencyCache, type StoredResponse } from './idempotency.js';
import { randomToken } from './ids.js';
import { Params, parseForm, type RawParams } from './params.js';
import {
  type ApiHandler,
  type ApiRequest,
  ApiResult,
  type PageHandler,
  type PageResponse,
  type Router,
} from './router.js';

export interface ServerParts {
  engine: Engine;
  api: Router<ApiHandler>;
  pages: Router<PageHandler>;
  control: Router<PageHandler>;
  idempotency: IdempotencyCache;
  /** Called after every request that may have changed state (for persistence). */
  afterChange(): void;
}

export function createRequestListener(
  parts: ServerParts,
): (request: IncomingMessage, response: ServerResponse) => void {
  return (request, response) => {
    handle(parts, request, response).catch((error: unknown) => {
      if (!response.headersSent) {
        sendJson(
          response,
          500,
          { error: { type: 'api_error', message: `Emulator failure: ${String(error)}` } },
          {},
        );
      } else {
        response.end();
      }
    });
  };
}

async function handle(parts: ServerParts, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const requestId = `req_${randomToken(14)}`;
  response.setHeader('Request-Id', requestId);
  response.setHeader('Stripe-Version', API_VERSION);
  const url = new URL(request.url ?? '/', 'http://emulator.local');
  const method = (request.method ?? 'GET').toUpperCase();
  const body = await readBody(request);
  const path = url.pathname;

  if (path.startsWith('/v1/') || path.startsWith('/v2/')) {
    await handleApi(parts, { request, response, requestId, url, method, body });
    return;
  }
  const router = path.startsWith('/_emulator') ? parts.control : parts.pages;
  const matched = router.match(method, path);
  if (matched.handler === undefined) {
    sendJson(
      response,
      404,
      { error: { type: 'invalid_request_error', message: `Not found: ${method} ${path}` } },
      {},
    );
    return;
  }
  const contentType = String(request.headers['content-type'] ?? '');
  const form = contentType.includes('application/json') ? parseJsonBody(body) : parseForm(body);
  let page: PageResponse;
  try {
    page = await matched.handler(parts.engine, {
      method,
      path,
      pathParams: matched.pathParams,
      query: url.searchParams,
      form: new Params(form),
      body,
      headers: request.headers,
    });
  } catch (error) {
    if (!(error instanceof StripeApiError)) throw error;
    page = {
      status: error.status,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ error: error.body }, null, 2),
    };
  }
  parts.afterChange();
  response.writeHead(page.status, { 'cache-control': 'no-store', ...page.headers });
  response.end(page.body);
}

interface ApiCall {
  request: IncomingMessage;
  response: ServerResponse;
  requestId: string;
  url: URL;
  method: string;
  body: string;
}

async function handleApi(parts: ServerParts, call: ApiCall): Promise<void> {
  const { engine } = parts;
  const { request, response, requestId, url, method } = call;
  const path = url.pathname;
  const idempotencyKey = headerValue(request, 'idempotency-key');
  const extraHeaders: Record<string, string> = idempotencyKey ? { 'Idempotency-Key': idempotencyKey } : {};

  const faults = engine.faults.forRequest(method, path);
  for (const fault of faults) {
    if (fault.type === 'delay') await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
  }
  const failure = faults.find((fault) => fault.type !== 'delay');
  if (failure !== undefined) {
    if (failure.type === 'rate_limit') {
      sendJson(
        response,
        failure.status,
        {
          error: {
            type: 'invalid_request_error',
            code: 'rate_limit',
            message: 'Request rate limit exceeded. (injected by the emulator)',
          },
        },
        { ...extraHeaders, 'Stripe-Should-Retry': 'true' },
      );
    } else {
      sendJson(
        response,
        failure.status,
        { error: { type: 'api_error', message: 'An unknown error occurred. (injected by the emulator)' } },
        extraHeaders,
      );
    }
    return;
  }

  const isStream = path === '/v2/billing/meter_event_stream';
  const key = apiKeyOf(request);
  if (!isStream && (key === null || !/^(sk|rk)_test_\w+/.test(key))) {
    sendError(response, authenticationFailed(key), extraHeaders);
    return;
  }

  let raw: RawParams;
  try {
    raw = readParams(call);
  } catch (error) {
    if (error instanceof StripeApiError) {
      sendError(response, error, extraHeaders);
      return;
    }
    throw error;
  }

  const replayable = method === 'POST' || method === 'DELETE';
  if (idempotencyKey && replayable) {
    let stored: StoredResponse | undefined;
    try {
      stored = parts.idempotency.begin(idempotencyKey, fingerprintOf(method, path, raw));
    } catch (error) {
      if (error instanceof StripeApiError) {
        sendError(response, error, extraHeaders);
        return;
      }
      throw error;
    }
    if (stored !== undefined) {
      response.writeHead(stored.status, { ...stored.headers, 'Idempotent-Replayed': 'true' });
      response.end(stored.body);
      return;
    }
  }

  const result = dispatch(parts, { method, path, requestId, idempotencyKey, request, raw });
  if (idempotencyKey && replayable) {
    // Stripe does not save 500s (the request may not have run); everything else is replayed.
    if (result.status >= 500) parts.idempotency.abandon(idempotencyKey);
    else {
      parts.idempotency.complete(idempotencyKey, {
        status: result.status,
        body: result.body,
        headers: { 'content-type': 'application/json', ...extraHeaders, 'Original-Request': requestId },
      });
    }
  }
  parts.afterChange();
  response.writeHead(result.status, {
    'content-type': 'application/json',
    'cache-control': 'no-cache, no-store',
    ...extraHeaders,
    ...result.headers,
  });
  response.end(result.body);
}

interface DispatchInput {
  method: string;
  path: string;
  requestId: string;
  idempotencyKey: string | null;
  request: IncomingMessage;
  raw: RawParams;
}

function dispatch(
  parts: ServerParts,
  input: DispatchInput,
): { status: number; body: string; headers: Record<string, string> } {
  const { engine } = parts;
  const matched = parts.api.match(input.method, input.path);
  try {
    if (matched.handler === undefined) throw unknownRoute(input.method, input.path);
    const params = new Params(input.raw);
    const apiRequest: ApiRequest = {
      method: input.method,
      path: input.path,
      pathParams: matched.pathParams,
      params,
      requestId: input.requestId,
      idempotencyKey: input.idempotencyKey,
      headers: input.request.headers,
    };
    const handler = matched.handler;
    const output = engine.withRequest({ id: input.requestId, idempotencyKey: input.idempotencyKey }, () => {
      // Objects outside test clocks move with the wall clock: settle what became due before acting.
      engine.runRealTime();
      return handler(engine, apiRequest);
    });
    const status = output instanceof ApiResult ? output.status : 200;
    const payload = output instanceof ApiResult ? output.body : output;
    const expand = params.expand();
    const expanded = expand.length === 0 ? payload : expandPaths(payload, expand, engine);
    return { status, body: JSON.stringify(expanded, null, 2), headers: {} };
  } catch (error) {
    if (error instanceof StripeApiError) {
      const body = {
        error: {
          ...error.body,
          request_log_url: `https://dashboard.stripe.com/test/logs/${input.requestId}`,
        },
      };
      return { status: error.status, body: JSON.stringify(body, null, 2), headers: error.headers };
    }
    throw error;
  }
}

function readParams(call: ApiCall): RawParams {
  const query = parseForm(call.url.search.slice(1));
  if (call.method === 'GET' || call.method === 'DELETE' || call.body === '') {
    return { ...query, ...(call.body === '' ? {} : parseForm(call.body)) };
  }
  const contentType = String(call.request.headers['content-type'] ?? '');
  if (contentType.includes('application/json') || call.url.pathname.startsWith('/v2/')) {
    return { ...query, ...parseJsonBody(call.body) };
  }
  return { ...query, ...parseForm(call.body) };
}

function parseJsonBody(body: string): RawParams {
  if (body.trim() === '') return {};
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as RawParams;
  } catch {
    // fall through to the error below
  }
  throw new StripeApiError(400, { type: 'invalid_request_error', message: 'Invalid JSON body.' });
}

function apiKeyOf(request: IncomingMessage): string | null {
  const header = headerValue(request, 'authorization');
  if (header === null) return null;
  if (header.startsWith('Bearer ')) return header.slice(7).trim();
  if (header.startsWith('Basic ')) {
    const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
    return decoded.split(':')[0] ?? null;
  }
  return header;
}

function headerValue(request: IncomingMessage, name: string): string | null {
  const value = request.headers[name];
  if (value === undefined) return null;
  return Array.isArray(value) ? (value[0] ?? null) : value;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function sendError(response: ServerResponse, error: StripeApiError, headers: Record<string, string>): void {
  sendJson(response, error.status, { error: error.body }, { ...headers, ...error.headers });
}

function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string>,
): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(body, null, 2));
}
