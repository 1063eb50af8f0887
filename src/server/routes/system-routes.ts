/** Liveness and readiness, for load balancers and orchestrators. */
import { z } from 'zod';
import { TollgateError } from '../../core/errors.js';
import type { Tollgate } from '../../core/tollgate.js';
import type { ApiRouter } from '../api-router.js';

export function registerSystemRoutes(router: ApiRouter, tollgate: Tollgate): void {
  router.route({
    method: 'GET',
    url: '/health',
    access: 'public',
    tag: 'system',
    summary: 'Liveness: the process answers',
    response: { description: 'Alive', schema: z.object({ status: z.literal('ok') }) },
    handler: async () => ({ status: 'ok' as const }),
  });

  router.route({
    method: 'GET',
    url: '/ready',
    access: 'public',
    tag: 'system',
    summary: 'Readiness: the store answers',
    description: 'Answers 503 `{"error": "store_unavailable"}` while the store does not answer.',
    errors: ['store_unavailable'],
    response: { description: 'Ready', schema: z.object({ status: z.literal('ready') }) },
    async handler({ reply }) {
      try {
        await tollgate.store.ping();
      } catch {
        // 503, not 500: orchestrators read it as "not ready, retry"; the body names no driver detail.
        const error = new TollgateError('store_unavailable', 'The store does not answer.');
        return reply.code(error.status).send(error.toBody());
      }
      return { status: 'ready' as const };
    },
  });
}
