/** `GET /api/v1/plans`: the catalog's public fields, for pricing pages and sign-up forms. */
import type { Tollgate } from '../../core/tollgate.js';
import type { ApiRouter } from '../api-router.js';
import { plansSchema, plansView } from '../plan-view.js';

export function registerPlansRoutes(router: ApiRouter, tollgate: Tollgate): void {
  // The catalog does not change while the service runs: build the answer once.
  const plans = plansView(tollgate.catalog);
  router.route({
    method: 'GET',
    url: '/api/v1/plans',
    access: 'public',
    tag: 'plans',
    summary: 'The plans, operations and features of the catalog',
    description:
      'Prices in minor units of `currency`; credits as numbers (at most 3 decimals); null = unlimited.',
    response: { description: 'The public catalog', schema: plansSchema },
    handler: async () => plans,
  });
}
