/**
 * Keeping a request's body as the bytes received, for routes whose body is signed (Stripe webhooks:
 * the signature covers the exact bytes, and JSON parsed and printed again is not them). Such a route
 * is registered in a Fastify scope of its own whose JSON parser keeps the body as a Buffer: Fastify
 * reads it once, under the route's body limit (over it, the error handler answers 413 as on every
 * route, `oversized-body.ts`), and nothing parses it before the handler has checked what it needs to
 * (the signature), so an unauthenticated body costs no parse.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';

/** Makes `scope`'s JSON bodies arrive in handlers as the bytes received (`rawBodyOf`). */
export function keepJsonBytes(scope: FastifyInstance): void {
  scope.removeContentTypeParser('application/json');
  scope.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => {
    done(null, body);
  });
}

/** The bytes of a request on a route registered with `keepJsonBytes`, or null on any other. */
export function rawBodyOf(request: FastifyRequest): Buffer | null {
  return Buffer.isBuffer(request.body) ? request.body : null;
}
