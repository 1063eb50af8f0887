/**
 * What the demo shows, chosen from the catalog it runs with, so `npm start` with a catalog of one's own
 * prints lines that work on it: the routes it serves (one per operation and per feature, where the id
 * does not collide with Tollgate's own API), the operation the first line calls, the feature the
 * default plan lacks, the rate limit to hit, and the plans to buy and change to. The demo catalog
 * gives the product brief's tour (search, federation, capture, pro, starter).
 */
import type { Catalog, Plan } from '../core/catalog/catalog.js';

/** First path segments under /api/v1 that Tollgate's own API uses: no demo route may take them. */
const reservedSegments = new Set([
  'usage',
  'billing',
  'admin',
  'plans',
  'webhooks',
  'entitlements',
  'health',
  'ready',
  'metrics',
  'docs',
  'openapi.json',
]);

export interface DemoScript {
  /** Operations served as `POST /api/v1/<id>`, metered as themselves. */
  operationRoutes: string[];
  /** Features served as `GET|POST /api/v1/<id>`, gated by themselves. */
  featureRoutes: string[];
  /** The operation the first printed line calls. */
  firstCall: string | null;
  /** A routed feature the default plan lacks (its line answers 403), if any. */
  deniedFeature: string | null;
  /** The routed operation and the default plan's per-minute limit the rate line hits, if it has one. */
  rateLimit: { operation: string; perMinute: number } | null;
  /** The paid plan Checkout buys (its monthly price), and the one the plan-change line moves to. */
  checkoutPlan: Plan | null;
  changePlan: Plan | null;
  /** A paid plan with a trial, for the no-card trial hint. */
  trialPlan: Plan | null;
}

const routable = (id: string) => !reservedSegments.has(id);

/** The first of `preferred` that is in `ids`, else the first of `ids`. */
function prefer(ids: string[], preferred: string[]): string | null {
  return preferred.find((id) => ids.includes(id)) ?? ids[0] ?? null;
}

export function demoScript(catalog: Catalog): DemoScript {
  const operationRoutes = Object.keys(catalog.operations).filter(routable);
  const featureRoutes = Object.keys(catalog.features).filter(routable);
  const defaultPlan = catalog.plans.find((plan) => plan.id === catalog.defaultPlan);
  const paid = catalog.plans.filter(
    (plan) => plan.id !== catalog.defaultPlan && (plan.prices.month ?? 0) > 0,
  );
  const checkoutPlan = paid.find((plan) => plan.id === 'pro') ?? paid[paid.length - 1] ?? null;
  const changePlan =
    paid.find((plan) => plan.id === 'starter' && plan !== checkoutPlan) ??
    paid.find((plan) => plan !== checkoutPlan) ??
    null;
  const lacking = featureRoutes.filter((feature) => !defaultPlan?.features.includes(feature));
  const firstCall = prefer(operationRoutes, ['search']);
  const rateOperation = prefer(operationRoutes, ['capture']);
  const perMinute = defaultPlan?.limits.requestsPerMinute ?? null;
  return {
    operationRoutes,
    featureRoutes,
    firstCall,
    deniedFeature: prefer(lacking, ['federation']),
    rateLimit: rateOperation && perMinute !== null ? { operation: rateOperation, perMinute } : null,
    checkoutPlan,
    changePlan,
    trialPlan: paid.find((plan) => plan.trialDays > 0) ?? null,
  };
}
