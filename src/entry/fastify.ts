/**
 * `tollgate/fastify`: Tollgate as Fastify middleware. `fastify` is a peer dependency of this entry point only.
 *
 * @example
 * ```ts
 * import { tollgateFastify } from 'tollgate/fastify';
 *
 * const gate = tollgateFastify({ tollgate });
 * ```
 */
export { type FastifyGate, tollgateFastify } from '../adapters/fastify.js';
export {
  type AdapterOptions,
  type CustomerRef,
  decisionOf,
  type RouteOptions,
  reportUsage,
} from '../adapters/request-gate.js';
