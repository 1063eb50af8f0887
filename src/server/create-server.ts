/**
 * The HTTP service on Fastify: the API of DESIGN section 6 that needs no Stripe (plans, usage,
 * entitlements, check, record, storage, admin customers and keys), health, the OpenAPI document and
 * its page, and the demo app's metered routes. Routes are declared through `ApiRouter`, one file per
 * area under `routes/`, so the OpenAPI document is generated from the schemas that validate requests.
 *
 * Bodies are JSON only: Fastify's text/plain parser is removed, so any other content type answers
 * 400 `invalid_request` (issue path `content-type`) before a route runs.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Tollgate } from '../core/tollgate.js';
import { ApiRouter, type DocumentedRoute } from './api-router.js';
import { frameworkErrorHandler, installErrorHandler } from './error-handler.js';
import { registerAdminRoutes } from './routes/admin-routes.js';
import { registerDemoRoutes } from './routes/demo-routes.js';
import { registerDocsRoutes } from './routes/docs-routes.js';
import { registerPlansRoutes } from './routes/plans-routes.js';
import { registerRecordRoutes } from './routes/record-routes.js';
import { registerSystemRoutes } from './routes/system-routes.js';
import { registerUsageRoutes } from './routes/usage-routes.js';

export interface ServerOptions {
  tollgate: Tollgate;
  /** Log requests with pino (keys redacted). Ignored when `loggerInstance` is given. */
  logger?: boolean;
  /** A pino logger of your own (tests pass one to read the audit entries). */
  loggerInstance?: FastifyBaseLogger;
  /** Mount the demo app's metered routes (capture, search, reflect, federation). */
  demoRoutes?: boolean;
  /** Most bytes of a request body; default 2 MiB (a batch of 1,000 events fits well within). */
  bodyLimit?: number;
  /** Shown in the OpenAPI document. */
  version?: string;
}

export interface RegisteredRoute {
  method: string;
  url: string;
}

// Per server: every route Fastify registered and every route declared, so a test can check that
// each one is documented and answers as documented.
const servers = new WeakMap<FastifyInstance, { registered: RegisteredRoute[]; router: ApiRouter }>();

/** The routes registered on a server made by `createServer` (HEAD routes included). */
export function routesOf(app: FastifyInstance): readonly RegisteredRoute[] {
  return servers.get(app)?.registered ?? [];
}

/** The declarations (schemas included) of the routes of a server made by `createServer`. */
export function documentedRoutesOf(app: FastifyInstance): readonly DocumentedRoute[] {
  return servers.get(app)?.router.routes ?? [];
}

export function createServer(options: ServerOptions): FastifyInstance {
  const { tollgate } = options;
  const redact = ['req.headers.authorization', 'req.headers["x-api-key"]'];
  const app: FastifyInstance = Fastify({
    ...(options.loggerInstance
      ? { loggerInstance: options.loggerInstance }
      : { logger: options.logger ? { redact } : false }),
    bodyLimit: options.bodyLimit ?? 2 * 1024 * 1024,
    frameworkErrors: frameworkErrorHandler,
  }) as unknown as FastifyInstance;
  const registered: RegisteredRoute[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) registered.push({ method, url: route.url });
  });
  app.removeContentTypeParser('text/plain');
  installErrorHandler(app);

  const router = new ApiRouter(app, tollgate);
  servers.set(app, { registered, router });
  registerSystemRoutes(router, tollgate);
  registerDocsRoutes(router, options.version ?? '0.1.0');
  registerPlansRoutes(router, tollgate);
  registerUsageRoutes(router, tollgate);
  registerRecordRoutes(router, tollgate);
  registerAdminRoutes(router, tollgate);
  if (options.demoRoutes) registerDemoRoutes(router, tollgate);
  return app;
}
