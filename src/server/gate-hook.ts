/**
 * Gates one Fastify route: authenticate the key, ask the gate (which meters the route's operation and
 * holds a concurrency slot), copy the decision's headers onto the reply, answer the documented error
 * when denied, and free the slot when the response ends, however it ends.
 */
import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { GateRequest } from '../core/gate/gate.js';
import type { GateDecision } from '../core/gate/gate-decision.js';
import type { Tollgate } from '../core/tollgate.js';
import { denialDetails } from './denial-details.js';
import { authenticateCustomer } from './request-auth.js';

export interface GatedRouteOptions {
  operation?: string;
  feature?: string;
  /** Units of the operation for this request; default 1. */
  quantity?: (request: FastifyRequest) => number;
}

/** The error body of a denied decision: `{ error, message, upgrade_url, ...details }`. */
export function deniedBody(decision: GateDecision): Record<string, unknown> {
  return {
    error: decision.reason,
    message: decision.message,
    upgrade_url: decision.upgradeUrl,
    ...(decision.retryAfterSeconds !== null ? { retry_after: decision.retryAfterSeconds } : {}),
    plan: decision.plan,
    ...denialDetails(decision),
  };
}

export function gateRoute(tollgate: Tollgate, options: GatedRouteOptions): preHandlerAsyncHookHandler {
  return async function gate(request: FastifyRequest, reply: FastifyReply) {
    const started = performance.now();
    const { customerId, keyId } = await authenticateCustomer(tollgate, request.headers);
    const gateRequest: GateRequest = { holdSlot: true, keyId };
    if (options.operation !== undefined) gateRequest.operation = options.operation;
    if (options.feature !== undefined) gateRequest.feature = options.feature;
    if (options.quantity) gateRequest.quantity = options.quantity(request);
    const decision = await tollgate.consume(customerId, gateRequest);
    // The client may have gone while the gate decided: 'close' has then fired already.
    if (reply.raw.closed) decision.release();
    // `on`, not `once`: release is safe to call twice, and `once` wraps it in a new function per request.
    else reply.raw.on('close', decision.release);
    reply.headers(decision.headers);
    reply.header('X-Request-Duration-Ms', (performance.now() - started).toFixed(2));
    if (!decision.allowed) {
      decision.release();
      return reply.code(decision.status).send(deniedBody(decision));
    }
  };
}
