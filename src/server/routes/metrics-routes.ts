/**
 * `GET /metrics`: the Prometheus text. Public by default, as scrapers usually run inside the private
 * network; with `TOLLGATE_METRICS_KEY` set it answers only a scraper that sends that key as a bearer
 * token (Prometheus `authorization: { credentials: ... }`), since series name plans and traffic.
 */
import { z } from 'zod';
import { secretsEqual } from '../../core/api-keys.js';
import { TollgateError } from '../../core/errors.js';
import type { ApiRouter } from '../api-router.js';
import type { TollgateMetrics } from '../metrics.js';
import { apiKeyFrom } from '../request-auth.js';

export function registerMetricsRoutes(
  router: ApiRouter,
  metrics: TollgateMetrics,
  metricsKey: string | null,
): void {
  router.route({
    method: 'GET',
    url: '/metrics',
    access: 'public',
    tag: 'system',
    summary: 'Prometheus metrics',
    description:
      'Public unless the service is started with `TOLLGATE_METRICS_KEY`; then that key is needed as ' +
      '`Authorization: Bearer <key>` (or `X-API-Key`), and any other caller gets 401.',
    errors: ['unauthorized'],
    response: {
      description: 'The Prometheus text exposition format',
      schema: z.string(),
      contentType: 'text/plain',
    },
    async handler({ request, reply }) {
      if (metricsKey !== null) {
        const key = apiKeyFrom(request.headers);
        if (key === undefined || !secretsEqual(key, metricsKey)) throw new TollgateError('unauthorized');
      }
      reply.type(metrics.contentType);
      return metrics.scrape();
    },
  });
}
