/**
 * Tollgate for Hono 4: `tollgateHono(options)` gives `gate(route)`, a middleware per route. Hono runs on
 * many runtimes, so the slot is freed by whatever the runtime offers: on Node (`@hono/node-server`)
 * when the Node response closes, which also covers streamed bodies; elsewhere once the handler has
 * returned. Either way, also when the client aborts the request (the request's AbortSignal).
 */
import type { Context, MiddlewareHandler } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import {
  type AdapterOptions,
  type ClosableResponse,
  createRequestGate,
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
      const facts = { method: c.req.method, path: c.req.path, headers: c.req.header() };
      const outcome = await gateRoute(facts, c);
      if (outcome.kind === 'exempt') return next();
      if (outcome.kind === 'denied') {
        // The same content type as Express and Fastify, so the three answer byte for byte alike.
        const headers = { ...outcome.headers, 'Content-Type': 'application/json; charset=utf-8' };
        return c.body(JSON.stringify(outcome.body), outcome.status as ContentfulStatusCode, headers);
      }
      const { release } = outcome.decision;
      const { signal } = c.req.raw;
      signal.addEventListener('abort', release, { once: true });
      if (signal.aborted) release();
      const outgoing = nodeResponse(c.env);
      if (outgoing) releaseOnClose(outgoing, release);
      try {
        await next();
      } finally {
        if (!outgoing) release();
        // After next(): a handler that returns its own Response would drop headers set before.
        for (const [name, value] of Object.entries(outcome.headers)) c.header(name, value);
      }
    };
  };
}

/** The Node response `@hono/node-server` passes as `c.env.outgoing`, when running there. */
function nodeResponse(env: unknown): ClosableResponse | undefined {
  if (typeof env !== 'object' || env === null || !('outgoing' in env)) return undefined;
  const outgoing = env.outgoing as Partial<ClosableResponse> | null | undefined;
  return typeof outgoing?.once === 'function' && typeof outgoing.closed === 'boolean'
    ? (outgoing as ClosableResponse)
    : undefined;
}
