/**
 * `tollgate/hono`: Tollgate as Hono middleware. `hono` is a peer dependency of this entry point only.
 *
 * @example
 * ```ts
 * import { tollgateHono } from 'tollgate/hono';
 *
 * const gate = tollgateHono({ tollgate });
 * ```
 */
export { type HonoGate, tollgateHono } from '../adapters/hono.js';
export {
  type AdapterOptions,
  type CustomerRef,
  decisionOf,
  type RouteOptions,
  reportUsage,
} from '../adapters/request-gate.js';
