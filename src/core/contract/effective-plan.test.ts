import { describe, expect, it } from 'vitest';
import { parseCatalog } from '../catalog/parse-catalog.js';
import { effectivePlan, NO_OVERRIDES } from './effective-plan.js';
import type { CustomerOverride } from './overrides.js';

const catalog = parseCatalog({
  currency: 'usd',
  default_plan: 'pro',
  features: { federation: 'Federation', realtime_sync: 'Realtime sync' },
  operations: { tokens: 0, video: 0 },
  plans: {
    pro: {
      name: 'Pro',
      limits: { credits: 100, operations: { tokens: { month: 1000 }, video: { day: 3 } } },
      features: ['realtime_sync'],
      overage: { price: 10, per_credits: 1000, cap: 500 },
    },
  },
});
const pro = catalog.plans[0];
if (pro === undefined) throw new Error('no plan');

const T = Date.UTC(2026, 5, 1);
const row = (
  key: string,
  value: CustomerOverride['value'],
  expiresAt: number | null = null,
): CustomerOverride => ({
  customerId: 'c',
  key,
  value,
  expiresAt,
  reason: null,
  createdBy: 'admin:k',
  createdAt: T,
  updatedBy: 'admin:k',
  updatedAt: T,
});

describe('effectivePlan', () => {
  it('is null without overrides: the catalog plan applies as is', () => {
    expect(effectivePlan(catalog, pro, undefined, T)).toBeNull();
    expect(effectivePlan(catalog, pro, [], T)).toBeNull();
  });

  it('applies every kind of override to a copy, leaving the catalog plan untouched', () => {
    const effective = effectivePlan(
      catalog,
      pro,
      [
        row('credits', 5_000_000),
        row('requests_per_minute', 500),
        row('operations.tokens.month', null),
        row('operations.tokens.day', 50),
        row('operations.video.day', null),
        row('spending_cap', null),
        row('features.federation', true),
        row('features.realtime_sync', false),
      ],
      T,
    );
    expect(effective?.plan.limits).toMatchObject({
      credits: 5_000_000,
      requestsPerMinute: 500,
      operations: { tokens: { windows: { day: 50 }, overage: null } },
    });
    // No window and no overage left: video is limited by credits alone, as if never listed.
    expect(effective?.plan.limits.operations.video).toBeUndefined();
    expect(effective?.plan.overage).toEqual({ unitAmount: 10, unitCredits: 1000, capAmount: null });
    expect(effective?.plan.features).toEqual(['federation']);
    expect(effective?.overrides.size).toBe(8);
    expect(pro.limits.credits).toBe(100_000);
    expect(pro.limits.operations.tokens?.windows).toEqual({ month: 1000 });
    expect(pro.features).toEqual(['realtime_sync']);
  });

  it('skips an override of something the catalog no longer has', () => {
    const effective = effectivePlan(catalog, pro, [row('operations.scrape.day', 5), row('credits', 1)], T);
    expect(effective?.plan.limits.operations.scrape).toBeUndefined();
    expect([...(effective?.overrides.keys() ?? [])]).toEqual(['credits']);
  });

  it('expires exactly: the override until the millisecond before, the plan from the instant', () => {
    const overrides = [row('credits', 7000, T + 1000), row('features.federation', true)];
    expect(effectivePlan(catalog, pro, overrides, T + 999)?.plan.limits.credits).toBe(7000);
    const after = effectivePlan(catalog, pro, overrides, T + 1000);
    expect(after?.plan.limits.credits).toBe(100_000);
    expect(after?.plan.features).toContain('federation');
    expect(after?.overrides.has('credits')).toBe(false);
  });

  it('is memoised while the same overrides are in force, and rebuilt when one expires', () => {
    const overrides = [row('credits', 7000, T + 1000), row('requests_per_day', 9, T + 5000)];
    const first = effectivePlan(catalog, pro, overrides, T);
    expect(effectivePlan(catalog, pro, overrides, T + 999)).toBe(first);
    const later = effectivePlan(catalog, pro, overrides, T + 1000);
    expect(later).not.toBe(first);
    expect(effectivePlan(catalog, pro, overrides, T + 4999)).toBe(later);
    // Billing time never runs back, but a memo must not answer for a span it was not built for.
    expect(effectivePlan(catalog, pro, overrides, T + 10)?.plan.limits.credits).toBe(7000);
    const expired = effectivePlan(catalog, pro, overrides, T + 5000);
    expect(expired?.overrides).toBe(NO_OVERRIDES);
    expect(expired?.plan).toBe(pro);
  });
});
