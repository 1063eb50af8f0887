import { describe, expect, it } from 'vitest';
import { monthCeiling } from './catalog.js';
import { CatalogError, type CatalogIssue } from './catalog-error.js';
import { parseCatalog } from './parse-catalog.js';

function catalogWith(operations: unknown, plan: Record<string, unknown> = {}) {
  return {
    currency: 'usd',
    default_plan: 'basic',
    operations: { tokens: 0, api_call: 0, scrape: 1 },
    plans: { basic: { name: 'Basic', limits: { credits: 'unlimited', operations }, ...plan } },
  };
}

function issuesOf(input: unknown): CatalogIssue[] {
  try {
    parseCatalog(input);
  } catch (error) {
    if (error instanceof CatalogError) return error.issues;
    throw error;
  }
  throw new Error('expected the catalog to be refused');
}

const at = 'plans.basic.limits.operations';

describe('operation limits in the catalog', () => {
  it('reads several windows at once, 0 as not included, and per-operation overage', () => {
    const catalog = parseCatalog(
      catalogWith({
        tokens: { month: 100_000 },
        api_call: { minute: 10, day: 'unlimited', month: 1000, overage: { price: 10, per: 1000 } },
        scrape: { hour: 0 },
      }),
    );
    expect(catalog.plans[0]?.limits.operations).toEqual({
      tokens: { windows: { month: 100_000 }, overage: null },
      api_call: {
        windows: { minute: 10, month: 1000 },
        overage: { unitAmount: 10, unitQuantity: 1000, capAmount: null },
      },
      scrape: { windows: { hour: 0 }, overage: null },
    });
  });

  it('computes the month ceiling from the overage cap in whole units', () => {
    expect(monthCeiling({ windows: { month: 1000 }, overage: null })).toBe(1000);
    expect(
      monthCeiling({
        windows: { month: 1000 },
        overage: { unitAmount: 10, unitQuantity: 1000, capAmount: 55 },
      }),
    ).toBe(6500);
    expect(
      monthCeiling({
        windows: { month: 1000 },
        overage: { unitAmount: 10, unitQuantity: 1000, capAmount: null },
      }),
    ).toBeNull();
    expect(monthCeiling({ windows: { day: 5 }, overage: null })).toBeNull();
  });

  it('names an operation that is not declared', () => {
    expect(issuesOf(catalogWith({ token: { month: 1 } }))).toEqual([
      {
        path: `${at}.token`,
        message: "operation 'token' is not declared in operations (tokens, api_call, scrape)",
      },
    ]);
  });

  it('names a misspelt window with the one meant', () => {
    expect(issuesOf(catalogWith({ tokens: { days: 3, mnth: 5 } }))).toEqual([
      { path: `${at}.tokens.days`, message: "unknown field (did you mean 'day'?)" },
      { path: `${at}.tokens.mnth`, message: "unknown field (did you mean 'month'?)" },
    ]);
  });

  it('refuses negative, fractional and non-numeric limits', () => {
    expect(issuesOf(catalogWith({ tokens: { day: -1, hour: 1.5, minute: 'many' } }))).toEqual([
      { path: `${at}.tokens.day`, message: 'expected a non-negative integer, or unlimited' },
      { path: `${at}.tokens.hour`, message: 'expected a non-negative integer, or unlimited' },
      { path: `${at}.tokens.minute`, message: 'expected a non-negative integer, or unlimited' },
    ]);
  });

  it('refuses overage without a month limit, and a malformed overage', () => {
    expect(issuesOf(catalogWith({ api_call: { day: 100, overage: { price: 10, per: 1000 } } }))).toEqual([
      {
        path: `${at}.api_call.overage`,
        message: 'overage needs a month limit: it bills the units past it (add month: <units>)',
      },
    ]);
    expect(
      issuesOf(catalogWith({ api_call: { month: 100, overage: { price: 0.5, per: 0, cap: -1, pr: 1 } } })),
    ).toEqual([
      {
        path: `${at}.api_call.overage.price`,
        message: 'expected an integer amount in minor units (cents): write 50 for 0.5',
      },
      { path: `${at}.api_call.overage.per`, message: 'expected a positive integer' },
      { path: `${at}.api_call.overage.cap`, message: 'expected a positive amount in minor units' },
      { path: `${at}.api_call.overage.pr`, message: "unknown field (did you mean 'per'?)" },
    ]);
  });

  it('refuses a cap whose units do not fit exactly', () => {
    expect(
      issuesOf(
        catalogWith({
          api_call: { month: 1, overage: { price: 1, per: 10_000_000, cap: 1_000_000_000_000 } },
        }),
      ),
    ).toEqual([
      {
        path: `${at}.api_call.overage.cap`,
        message: 'too large for this per: the cap allows more units than fit',
      },
    ]);
  });

  it('refuses operations that is not a mapping', () => {
    expect(issuesOf(catalogWith(['tokens']))).toEqual([
      { path: at, message: 'expected a mapping (key: value pairs)' },
    ]);
  });
});
