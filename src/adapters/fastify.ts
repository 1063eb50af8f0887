/**
 * Tollgate for Fastify 5: `tollgateFastify(options)` gives `gate(route)`, a `preHandler` per route. A
 * preHandler runs after body parsing, so `quantity(request)` can read `request.body`. The slot is freed
 * when the raw response closes: after it is sent, or when the client goes away first.
 */
import type { FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { type AdapterOptions, createRequestGate, type RouteOptions, releaseOnClose } from './request-gate.js';

/** Builds route preHandlers for one app. */
export type FastifyGate = (route?: RouteOptions<FastifyRequest>) => preHandlerAsyncHookHandler;

/**
 * @example
 * const gate = tollgateFastify({ tollgate });
 * app.post('/api/search', { preHandler: gate({ operation: 'search' }) }, async () => hits);
 * app.get('/api/federation', { preHandler: gate({ feature: 'federation' }) }, handler);
 */
export function tollgateFastify(options: AdapterOptions<FastifyRequest>): FastifyGate {
  const gateRequest = createRequestGate(options);
  return (route) => {
    const gateRoute = gateRequest(route);
    return async function tollgate(request, reply) {
      const facts = { method: request.method, path: request.url, headers: request.headers };
      const outcome = await gateRoute(facts, request);
      if (outcome.kind === 'exempt') return;
      reply.headers(outcome.headers);
      if (outcome.kind === 'denied') return reply.code(outcome.status).send(outcome.body);
      releaseOnClose(reply.raw, outcome.finish);
    };
  };
}
