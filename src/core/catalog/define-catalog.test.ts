import { describe, expect, it } from 'vitest';
import { CatalogError } from './catalog-error.js';
import { defineCatalog } from './define-catalog.js';

describe('defineCatalog', () => {
  it('validates and normalizes a catalog written in TypeScript', () => {
    const catalog = defineCatalog({
      currency: 'usd',
      default_plan: 'free',
      features: { federation: 'Federation' },
      operations: { search: 0.1, reflect: { credits: 2, description: 'Reflect' } },
      plans: {
        free: { name: 'Free', limits: { credits: 100, requests: { minute: 10 } } },
        pro: {
          name: 'Pro',
          prices: { month: 2900 },
          limits: { credits: '100000', storage: { bytes: '10GB', items: 'unlimited' } },
          features: ['federation'],
          overage: { price: 10, per_credits: 1000 },
        },
      },
    });
    expect(catalog.operations.search?.cost).toBe(100);
    expect(catalog.plans[1]?.limits.storageBytes).toBe(10_000_000_000);
    expect(catalog.plans[1]?.overage).toEqual({ unitAmount: 10, unitCredits: 1000, capAmount: null });
  });

  it('refuses what YAML would refuse', () => {
    expect(() =>
      defineCatalog({
        currency: 'usd',
        default_plan: 'free',
        // @ts-expect-error: the type knows the fields, so a misspelt one fails to compile too
        plans: { free: { name: 'Free', limits: { credits: 100 }, trail_days: 14 } },
      }),
    ).toThrow(
      new CatalogError([
        { path: 'plans.free.trail_days', message: "unknown field (did you mean 'trial_days'?)" },
      ]),
    );
  });
});
