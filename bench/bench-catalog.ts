/**
 * The catalog every gated bench server uses: one plan whose limits are checked on every request but
 * never reached (so every request is admitted and recorded), and one operation costing 1 credit.
 * Written as the engine's parsed form so the bench does not depend on the catalog file loader.
 */
import type { Catalog } from '../src/core/catalog/catalog.js';

/** Milli-credits per credit (the engine's fixed sub-unit). */
const CREDIT = 1_000;

export const BENCH_OPERATION = 'work';
export const BENCH_OPERATION_COST = 1 * CREDIT;
/** Credits per period, in milli-credits: far above what any run records. */
export const BENCH_CREDIT_QUOTA = 10_000_000 * CREDIT;

export function benchCatalog(): Catalog {
  return {
    currency: 'usd',
    defaultPlan: 'bench',
    upgradeUrl: null,
    features: {},
    exemptRoutes: [],
    operations: {
      [BENCH_OPERATION]: { id: BENCH_OPERATION, cost: BENCH_OPERATION_COST, description: null },
    },
    plans: [
      {
        id: 'bench',
        name: 'Bench',
        description: null,
        prices: { month: 0, year: null },
        trialDays: 0,
        stripe: { productId: null, monthlyPriceId: null, yearlyPriceId: null, overagePriceId: null },
        limits: {
          credits: BENCH_CREDIT_QUOTA,
          requestsPerMinute: 10_000_000,
          requestsPerDay: 1_000_000_000,
          concurrentRequests: 10_000,
          storageBytes: null,
          storageItems: null,
          operations: {},
        },
        features: [],
        overage: null,
      },
    ],
  };
}
