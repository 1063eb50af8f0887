/** A small catalog for engine tests, with limits small enough to reach. */
import type { Catalog, Plan } from '../../src/core/catalog/catalog.js';

const basePlan = (id: string, overrides: Partial<Plan> = {}): Plan => ({
  id,
  name: id,
  description: null,
  prices: { month: 0, year: null },
  trialDays: 0,
  stripe: { productId: null, monthlyPriceId: null, yearlyPriceId: null, overagePriceId: null },
  limits: {
    credits: 100_000,
    requestsPerMinute: null,
    requestsPerDay: null,
    concurrentRequests: null,
    storageBytes: null,
    storageItems: null,
    operations: {},
  },
  features: [],
  overage: null,
  ...overrides,
});

export function testCatalog(): Catalog {
  return {
    currency: 'usd',
    defaultPlan: 'free',
    upgradeUrl: 'https://example.test/upgrade',
    features: { federation: 'Federation' },
    exemptRoutes: [],
    operations: {
      capture: { id: 'capture', cost: 1000, description: null },
      search: { id: 'search', cost: 100, description: null },
    },
    plans: [
      basePlan('free', {
        limits: {
          credits: 100_000,
          requestsPerMinute: 10,
          requestsPerDay: 100,
          concurrentRequests: 2,
          storageBytes: 1000,
          storageItems: null,
          operations: {},
        },
      }),
      basePlan('bulk'),
      basePlan('pro', {
        prices: { month: 2900, year: 29000 },
        features: ['federation'],
        limits: {
          credits: 10_000,
          requestsPerMinute: null,
          requestsPerDay: null,
          concurrentRequests: 10,
          storageBytes: null,
          storageItems: null,
          operations: {},
        },
        overage: { unitAmount: 10, unitCredits: 1000, capAmount: 1 },
      }),
    ],
  };
}

/** The test catalog plus `metered`: operation limits of 100 captures a day and 150 a period, no credit quota. */
export function meteredTestCatalog(): Catalog {
  const catalog = testCatalog();
  catalog.plans.push(
    basePlan('metered', {
      limits: {
        credits: null,
        requestsPerMinute: null,
        requestsPerDay: null,
        concurrentRequests: null,
        storageBytes: null,
        storageItems: null,
        operations: { capture: { windows: { day: 100, month: 150 }, overage: null } },
      },
    }),
  );
  return catalog;
}
