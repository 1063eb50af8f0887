/**
 * Tollgate for Hono 4: `tollgateHono(options)` gives `gate(route)`, a middleware per route. Hono runs on
 * many runtimes, so the slot is freed by whatever the runtime offers: on Node (`@hono/node-server`)
 * when the Node response closes, which also covers streamed bodies and clients that go away; elsewhere
 * once the handler has returned, or when the client aborts the request (the request's AbortSignal).
 *
 * Per request it stays on Hono's cheap paths: headers are read one by one with `c.req.header(name)`
 * (reading them all, or `c.req.raw.signal`, makes `@hono/node-server` build WHATWG objects), and the
 * decision headers are set before the handler runs, so the handler's response carries them; only a
 * response that lacks them or says otherwise (the handler built its own `Response`) is rewritten.
 */
import type { Context, MiddlewareHandler } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import {
  type AdapterOptions,
  type ClosableResponse,
  createRequestGate,
  type RequestFacts,
  type RouteOptions,
  releaseOnClose,
} from './request-gate.js';

/** Builds route middleware for one app. */
export type HonoGate = (route?: RouteOptions<Context>) => MiddlewareHandler;

/**
 * @example
 * const gate = tollgateHono({ tollgate });
 * app.post('/api/search', gate({ operation: 'search' }), (c) => c.json(hits));
 * app.get('/api/federation', gate({ feature: 'federation' }), handler);
 */
export function tollgateHono(options: AdapterOptions<Context>): HonoGate {
  const gateRequest = createRequestGate(options);
  return (route) => {
    const gateRoute = gateRequest(route);
    return async (c, next) => {
      const facts = { method: c.req.method, path: c.req.path, headers: headersOf(c) };
      const outcome = await gateRoute(facts, c);
      if (outcome.kind === 'exempt') return next();
      const { headers } = outcome;
      if (outcome.kind === 'denied') {
        // The same content type as Express and Fastify, so the three answer byte for byte alike.
        headers['Content-Type'] = 'application/json; charset=utf-8';
        return c.body(JSON.stringify(outcome.body), outcome.status as ContentfulStatusCode, headers);
      }
      const release = outcome.finish;
      const outgoing = nodeResponse(c.env);
      if (outgoing) releaseOnClose(outgoing, release);
      else {
        const { signal } = c.req.raw;
        signal.addEventListener('abort', release, { once: true });
        if (signal.aborted) release();
      }
      for (const name in headers) c.header(name, headers[name]);
      try {
        await next();
      } finally {
        if (!outgoing) release();
        // A handler that returns its own Response drops the headers set above: set them again.
        if (c.finalized) {
          const answered = c.res.headers;
          for (const name in headers) {
            const value = headers[name] as string;
            if (answered.get(name) !== value) c.header(name, value);
          }
        }
      }
    };
  };
}

/**
 * The request's headers as the gate reads them, each fetched by name when the gate asks for it: the
 * gate reads two or three, and `c.req.header()` without a name would materialize them all.
 */
function headersOf(c: Context): RequestFacts['headers'] {
  return new Proxy(Object.create(null) as RequestFacts['headers'], {
    get: (_target, name) => (typeof name === 'string' ? c.req.header(name) : undefined),
  });
}

/** The Node response `@hono/node-server` passes as `c.env.outgoing`, when running there. */
function nodeResponse(env: unknown): ClosableResponse | undefined {
  if (typeof env !== 'object' || env === null || !('outgoing' in env)) return undefined;
  const outgoing = env.outgoing as Partial<ClosableResponse> | null | undefined;
  return typeof outgoing?.once === 'function' && typeof outgoing.closed === 'boolean'
    ? (outgoing as ClosableResponse)
    : undefined;
}
