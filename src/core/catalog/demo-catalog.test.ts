import { describe, expect, it } from 'vitest';
import { creditCeiling, findPlan } from './catalog.js';
import { demoCatalog } from './demo-catalog.js';

describe('demoCatalog', () => {
  const catalog = demoCatalog();
  const plan = (id: string) => {
    const found = findPlan(catalog, id);
    if (!found) throw new Error(`no plan ${id}`);
    return found;
  };

  it('lists the brief tiers in file order, with free as the default', () => {
    expect(catalog.plans.map((each) => each.id)).toEqual(['free', 'starter', 'pro', 'enterprise']);
    expect(catalog.defaultPlan).toBe('free');
    expect(catalog.currency).toBe('usd');
    expect(catalog.upgradeUrl).toBeNull();
    expect(catalog.exemptRoutes).toEqual(['/health', '/ready', '/metrics']);
  });

  it('costs operations in milli-credits: capture 1, search 0.1, reflect 2', () => {
    expect(catalog.operations).toEqual({
      capture: { id: 'capture', cost: 1000, description: 'Capture a memory' },
      search: { id: 'search', cost: 100, description: 'Search stored memories' },
      reflect: { id: 'reflect', cost: 2000, description: 'Reflect over stored memories' },
    });
  });

  it('declares the three features', () => {
    expect(catalog.features).toEqual({
      semantic_search: 'Semantic search',
      federation: 'Federation',
      realtime_sync: 'Realtime sync',
    });
  });

  it('gives free 100 credits, 10/min, 100/day, 2 concurrent, 100 MB', () => {
    const free = plan('free');
    expect(free.prices).toEqual({ month: 0, year: null });
    expect(free.trialDays).toBe(0);
    expect(free.limits).toEqual({
      credits: 100_000,
      requestsPerMinute: 10,
      requestsPerDay: 100,
      concurrentRequests: 2,
      storageBytes: 100_000_000,
      storageItems: null,
      operations: {},
    });
    expect(free.features).toEqual(['semantic_search']);
    expect(free.overage).toBeNull();
  });

  it('gives starter 10,000 credits for $9 a month with a 14-day trial', () => {
    const starter = plan('starter');
    expect(starter.prices).toEqual({ month: 900, year: 9000 });
    expect(starter.trialDays).toBe(14);
    expect(starter.limits).toEqual({
      credits: 10_000_000,
      requestsPerMinute: 30,
      requestsPerDay: 1000,
      concurrentRequests: 5,
      storageBytes: 1_000_000_000,
      storageItems: null,
      operations: {},
    });
  });

  it('gives pro $29, 100,000 credits, every feature and overage at $0.10 per 1,000 credits', () => {
    const pro = plan('pro');
    expect(pro.prices).toEqual({ month: 2900, year: 29000 });
    expect(pro.limits).toEqual({
      credits: 100_000_000,
      requestsPerMinute: 100,
      requestsPerDay: 10_000,
      concurrentRequests: 10,
      storageBytes: 10_000_000_000,
      storageItems: null,
      operations: {},
    });
    expect(pro.features).toEqual(['semantic_search', 'federation', 'realtime_sync']);
    expect(pro.overage).toEqual({ unitAmount: 10, unitCredits: 1000, capAmount: null });
    expect(pro.stripe).toEqual({
      productId: null,
      monthlyPriceId: null,
      yearlyPriceId: null,
      overagePriceId: null,
    });
    expect(creditCeiling(pro)).toBeNull();
  });

  it('leaves every enterprise limit unlimited', () => {
    const enterprise = plan('enterprise');
    expect(Object.values(enterprise.limits)).toEqual([null, null, null, null, null, null, {}]);
    expect(enterprise.prices).toEqual({ month: 49900, year: 499000 });
  });

  it('returns a copy each time, so callers cannot change the demo for others', () => {
    const first = demoCatalog();
    first.plans.pop();
    expect(demoCatalog().plans).toHaveLength(4);
  });
});
