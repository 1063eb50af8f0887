/**
 * The demo app's own API (`npm start`): routes of an imagined product, metered and gated by Tollgate
 * the way a user's app would be. Each operation of the catalog is `POST /api/v1/<operation>` and debits
 * it (capture/search/reflect with the demo catalog); each feature is `/api/v1/<feature>` and needs it
 * (federation), except where the id is a segment of Tollgate's own API.
 */
import { z } from 'zod';
import type { Tollgate } from '../../core/tollgate.js';
import type { ApiRouter } from '../api-router.js';
import { demoScript } from '../demo-script.js';
import { gateRoute } from '../gate-hook.js';

const anyBody = z.unknown().describe('Any JSON; the demo ignores it');

export function registerDemoRoutes(router: ApiRouter, tollgate: Tollgate): void {
  const script = demoScript(tollgate.catalog);
  for (const operation of script.operationRoutes) {
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
  for (const feature of script.featureRoutes) {
    for (const method of ['GET', 'POST'] as const) {
      router.route({
        method,
        url: `/api/v1/${feature}`,
        access: 'gated',
        tag: 'demo',
        summary: `Demo: a route that needs the '${feature}' feature`,
        ...(method === 'POST' ? { body: anyBody } : {}),
        preHandler: gateRoute(tollgate, { feature }),
        response: {
          description: 'Done',
          schema: z.object({ ok: z.literal(true), feature: z.string() }),
          decisionHeaders: true,
        },
        handler: async () => ({ ok: true as const, feature }),
      });
    }
  }
}
