/**
 * The demo app's own API (`npm start`): routes of an imagined product, metered and gated by Tollgate
 * the way a user's app would be. capture/search/reflect debit their operation; federation needs the
 * `federation` feature.
 */
import { z } from 'zod';
import type { Tollgate } from '../../core/tollgate.js';
import type { ApiRouter } from '../api-router.js';
import { gateRoute } from '../gate-hook.js';

const anyBody = z.unknown().describe('Any JSON; the demo ignores it');

export function registerDemoRoutes(router: ApiRouter, tollgate: Tollgate): void {
  for (const operation of ['capture', 'search', 'reflect']) {
    router.route({
      method: 'POST',
      url: `/api/v1/${operation}`,
      access: 'gated',
      tag: 'demo',
      summary: `Demo: ${operation} (metered as the '${operation}' operation)`,
      body: anyBody,
      preHandler: gateRoute(tollgate, { operation }),
      response: {
        description: 'Done',
        schema: z.object({ ok: z.literal(true), operation: z.string() }),
        decisionHeaders: true,
      },
      handler: async () => ({ ok: true as const, operation }),
    });
  }
  for (const method of ['GET', 'POST'] as const) {
    router.route({
      method,
      url: '/api/v1/federation',
      access: 'gated',
      tag: 'demo',
      summary: "Demo: a route that needs the 'federation' feature",
      ...(method === 'POST' ? { body: anyBody } : {}),
      preHandler: gateRoute(tollgate, { feature: 'federation' }),
      response: {
        description: 'Done',
        schema: z.object({ ok: z.literal(true), feature: z.literal('federation') }),
        decisionHeaders: true,
      },
      handler: async () => ({ ok: true as const, feature: 'federation' as const }),
    });
  }
}
