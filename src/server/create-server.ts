/**
 * The HTTP service on Fastify. This is the first cut: health, readiness, usage, and the demo app's
 * metered routes gated by Tollgate; the full API of docs/api.md grows here route file by route file.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { formatCredits } from '../core/credits.js';
import type { Tollgate } from '../core/tollgate.js';
import { installErrorHandler } from './error-handler.js';
import { gateRoute } from './gate-hook.js';
import { authenticateCustomer } from './request-auth.js';

export interface ServerOptions {
  tollgate: Tollgate;
  logger?: boolean;
  /** Mount the demo app's metered routes (capture, search, reflect, federation). */
  demoRoutes?: boolean;
}

export function createServer(options: ServerOptions): FastifyInstance {
  const { tollgate } = options;
  const app = Fastify({
    logger: options.logger ? { redact: ['req.headers.authorization', 'req.headers["x-api-key"]'] } : false,
    bodyLimit: 2 * 1024 * 1024,
  });
  installErrorHandler(app);

  app.get('/health', async () => ({ status: 'ok' }));
  app.get('/ready', async (_request, reply) => {
    try {
      await tollgate.store.ping();
      return { status: 'ready' };
    } catch {
      return reply.code(503).send({ error: 'internal', message: 'The store does not answer.' });
    }
  });

  app.get('/api/v1/usage', async (request) => {
    const customerId = await authenticateCustomer(tollgate, request.headers);
    const usage = await tollgate.usage(customerId);
    const limit = usage.access.plan.limits.credits;
    return {
      customer_id: customerId,
      subscription_tier: usage.access.plan.id,
      credits_used: formatCredits(usage.used),
      monthly_limit: limit === null ? null : formatCredits(limit),
      quota_remaining: limit === null ? null : formatCredits(Math.max(0, limit - usage.used)),
      usage_percentage: limit === null || limit === 0 ? null : Math.floor((usage.used * 100) / limit),
      quota_exceeded: limit !== null && usage.used >= limit,
      status: usage.access.status,
      period_start: new Date(usage.periodStart).toISOString(),
      period_end: new Date(usage.access.period.end).toISOString(),
    };
  });

  if (options.demoRoutes) {
    for (const operation of ['capture', 'search', 'reflect']) {
      app.post(`/api/v1/${operation}`, { preHandler: gateRoute(tollgate, { operation }) }, async () => ({
        ok: true,
        operation,
      }));
    }
    app.all(
      '/api/v1/federation',
      { preHandler: gateRoute(tollgate, { feature: 'federation' }) },
      async () => ({
        ok: true,
        feature: 'federation',
      }),
    );
  }
  return app;
}
