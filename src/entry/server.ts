/**
 * `tollgate/server`: the HTTP service (DESIGN section 6) on Fastify, to embed in a process of your
 * own; `tollgate serve` runs the same. Fastify, `@fastify/static`, `pino` and `prom-client` are
 * optional peer dependencies that this entry point needs.
 *
 * @example
 * ```ts
 * import { createServer, loadConfig, openRuntime } from 'tollgate/server';
 *
 * const runtime = await openRuntime(loadConfig());
 * const app = createServer({ tollgate: runtime.tollgate, billing: runtime.stripe.billing });
 * await app.listen({ port: 3000 });
 * ```
 */
export { ConfigError, loadConfig, type TollgateConfig } from '../config/load-config.js';
export {
  openRuntime,
  type Runtime,
  type RuntimeOptions,
  type StripeRuntime,
} from '../config/open-runtime.js';
export { createServer, type RegisteredRoute, routesOf, type ServerOptions } from '../server/create-server.js';
export { type GatedRouteOptions, gateRoute } from '../server/gate-hook.js';
export { createLogger, type LogLevel } from '../server/logging.js';
export { createMetrics, type MetricsOptions, type TollgateMetrics } from '../server/metrics.js';
export { type GracefulShutdown, installGracefulShutdown, type ShutdownOptions } from '../server/shutdown.js';
