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
import { createDashboardSessions } from '../core/billing/dashboard-sessions.js';
import type { Tollgate } from '../core/tollgate.js';
import type { BillingService } from '../stripe/billing/billing-service.js';
import type { WebhookInbox } from '../stripe/webhooks/webhook-inbox.js';
import { ApiRouter, type DocumentedRoute } from './api-router.js';
import { type DashboardOptions, registerDashboardPages } from './dashboard-pages.js';
import { frameworkErrorHandler, installErrorHandler } from './error-handler.js';
import { createLogger, type LogLevel } from './logging.js';
import {
  createMetrics,
  observeHttpRequests,
  subscriptionsFromStore,
  type TollgateMetrics,
} from './metrics.js';
import { type AdminBillingOptions, registerAdminBillingRoutes } from './routes/admin-billing-routes.js';
import { registerAdminGrantRoutes } from './routes/admin-grant-routes.js';
import { registerAdminKeyRoutes } from './routes/admin-key-routes.js';
import { registerAdminOverrideRoutes } from './routes/admin-override-routes.js';
import { registerAdminPriceRoutes } from './routes/admin-price-routes.js';
import { registerAdminRoutes } from './routes/admin-routes.js';
import { registerBillingRoutes } from './routes/billing-routes.js';
import { registerDashboardSessionRoutes } from './routes/dashboard-session-routes.js';
import { registerDemoRoutes } from './routes/demo-routes.js';
import { registerDocsRoutes } from './routes/docs-routes.js';
import { registerMetricsRoutes } from './routes/metrics-routes.js';
import { registerPlansRoutes } from './routes/plans-routes.js';
import { registerRecordRoutes } from './routes/record-routes.js';
import { registerReservationRoutes } from './routes/reservation-routes.js';
import { registerSystemRoutes } from './routes/system-routes.js';
import { registerUsageEventRoutes } from './routes/usage-event-routes.js';
import { registerUsageRoutes } from './routes/usage-routes.js';
import { registerWebhookRoutes } from './routes/webhook-routes.js';

export interface ServerOptions {
  /** The billing flows (Stripe); the /api/v1/billing routes are served only when given. */
  billing?: BillingService;
  /** The Stripe webhook inbox; POST /api/v1/webhooks/stripe is served only when given. */
  stripeWebhooks?: WebhookInbox;
  /** The admin billing routes (events, invoices, revenue, clock); served only when given. */
  adminBilling?: AdminBillingOptions;
  tollgate: Tollgate;
  /** Log requests with pino (keys and secrets redacted). Ignored when `loggerInstance` is given. */
  logger?: boolean;
  /** Level of that logger (LOG_LEVEL); default info. */
  logLevel?: LogLevel;
  /** A pino logger of your own (tests pass one to read the audit entries). */
  loggerInstance?: FastifyBaseLogger;
  /** Mount the demo app's metered routes (capture, search, reflect, federation). */
  demoRoutes?: boolean;
  /** Most bytes of a request body; default 2 MiB (a batch of 1,000 events fits well within). */
  bodyLimit?: number;
  /** Shown in the OpenAPI document. */
  version?: string;
  /** The instance's metrics, for the billing code to record into; default a fresh registry per server. */
  metrics?: TollgateMetrics;
  /** When set (TOLLGATE_METRICS_KEY), `/metrics` needs it as a bearer token; else it is public. */
  metricsKey?: string | null;
  /** Public origin of the service (PUBLIC_URL) for dashboard links; default each request's own origin. */
  publicUrl?: string | null;
  /** Lifetimes of dashboard links (default 10 minutes) and billing sessions (default 60 minutes), ms. */
  dashboardSessions?: { linkTtlMs?: number; sessionTtlMs?: number };
  /** Serve the billing page and admin console (GET /billing, /admin, /ui/*); not served when absent. */
  dashboard?: DashboardOptions;
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
  const logger =
    options.loggerInstance ?? (options.logger ? createLogger({ level: options.logLevel }) : null);
  const app: FastifyInstance = Fastify({
    ...(logger ? { loggerInstance: logger } : { logger: false }),
    bodyLimit: options.bodyLimit ?? 2 * 1024 * 1024,
    frameworkErrors: frameworkErrorHandler,
  }) as unknown as FastifyInstance;
  const registered: RegisteredRoute[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) registered.push({ method, url: route.url });
  });
  app.removeContentTypeParser('text/plain');
  installErrorHandler(app);
  const metrics = options.metrics ?? createMetrics({ subscriptions: subscriptionsFromStore(tollgate.store) });
  observeHttpRequests(app, metrics);
  const stopObserving = tollgate.observeDecisions((decision) => metrics.recordDecision(decision));
  app.addHook('onClose', async () => stopObserving());

  // Links and sessions are credentials: they expire in wall time even when billing time follows a
  // Stripe test clock (advancing it a month must not end the session of the page showing it).
  const sessions = createDashboardSessions({
    store: tollgate.store,
    clock: tollgate.rateClock,
    ...options.dashboardSessions,
  });
  const router = new ApiRouter(app, tollgate, sessions);
  servers.set(app, { registered, router });
  registerSystemRoutes(router, tollgate);
  registerDocsRoutes(router, options.version ?? '0.1.0');
  registerMetricsRoutes(router, metrics, options.metricsKey ?? null);
  registerPlansRoutes(router, tollgate);
  registerUsageRoutes(router, tollgate);
  registerRecordRoutes(router, tollgate);
  registerUsageEventRoutes(router, tollgate);
  registerReservationRoutes(router, tollgate);
  registerAdminRoutes(router, tollgate);
  registerAdminKeyRoutes(router, tollgate);
  registerAdminOverrideRoutes(router, tollgate);
  registerAdminGrantRoutes(router, tollgate);
  registerDashboardSessionRoutes(router, sessions, { publicUrl: options.publicUrl ?? null });
  if (options.billing) registerBillingRoutes(router, tollgate, options.billing);
  if (options.billing) registerAdminPriceRoutes(router, options.billing);
  if (options.stripeWebhooks) registerWebhookRoutes(router, options.stripeWebhooks);
  if (options.adminBilling) registerAdminBillingRoutes(router, tollgate, options.adminBilling);
  if (options.demoRoutes) registerDemoRoutes(router, tollgate);
  if (options.dashboard) registerDashboardPages(app, options.dashboard);
  return app;
}
