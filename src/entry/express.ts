/**
 * `tollgate/express`: Tollgate as Express middleware. `express` is a peer dependency of this entry point only.
 *
 * @example
 * ```ts
 * import { tollgateExpress } from 'tollgate/express';
 *
 * const gate = tollgateExpress({ tollgate });
 * ```
 */
export { type ExpressGate, tollgateExpress } from '../adapters/express.js';
export {
  type AdapterOptions,
  type CustomerRef,
  decisionOf,
  type RouteOptions,
  reportUsage,
} from '../adapters/request-gate.js';
