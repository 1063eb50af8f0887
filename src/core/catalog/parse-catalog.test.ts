import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CatalogError, type CatalogIssue } from './catalog-error.js';
import { DEMO_CATALOG_URL } from './demo-catalog.js';
import { parseCatalog } from './parse-catalog.js';

// biome-ignore lint/suspicious/noExplicitAny: tests reach into raw YAML data by path, as a user's file would
type Raw = Record<string, any>;

/** The demo catalog as raw YAML data, fresh for each test to break in its own way. */
function demoInput(): Raw {
  return parse(readFileSync(DEMO_CATALOG_URL, 'utf8'));
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

describe('parseCatalog', () => {
  it('accepts the demo catalog', () => {
    expect(parseCatalog(demoInput()).plans).toHaveLength(4);
  });

  it('fills defaults for everything optional', () => {
    const catalog = parseCatalog({
      currency: 'EUR',
      default_plan: 'free',
      plans: { free: { name: 'Free', limits: { credits: 5 } } },
    });
    expect(catalog).toEqual({
      currency: 'eur',
      defaultPlan: 'free',
      upgradeUrl: null,
      features: {},
      operations: {},
      exemptRoutes: [],
      plans: [
        {
          id: 'free',
          name: 'Free',
          description: null,
          prices: { month: null, year: null },
          trialDays: 0,
          stripe: { productId: null, monthlyPriceId: null, yearlyPriceId: null, overagePriceId: null },
          limits: {
            credits: 5000,
            requestsPerMinute: null,
            requestsPerDay: null,
            concurrentRequests: null,
            storageBytes: null,
            storageItems: null,
            operations: {},
          },
          features: [],
          overage: null,
        },
      ],
    });
  });

  it('reads credits exactly, whichever way they are written', () => {
    const input = demoInput();
    input.operations = { a: 1.005, b: '0.001', c: 1e-3, d: 0, e: { credits: '2.5' } };
    const costs = Object.values(parseCatalog(input).operations).map((operation) => operation.cost);
    expect(costs).toEqual([1005, 1, 1, 0, 2500]);
  });

  it('keeps Stripe ids that the catalog names', () => {
    const input = demoInput();
    input.plans.pro.stripe = { product: 'prod_pro', month: 'price_m', year: 'price_y', overage: 'price_o' };
    expect(parseCatalog(input).plans[2]?.stripe).toEqual({
      productId: 'prod_pro',
      monthlyPriceId: 'price_m',
      yearlyPriceId: 'price_y',
      overagePriceId: 'price_o',
    });
  });

  // Each case breaks one thing; the catalog must be refused with exactly one issue that names the field.
  const malformed: [string, (input: Raw) => void, string, string][] = [
    [
      'a negative price',
      (c) => (c.plans.starter.prices.month = -900),
      'plans.starter.prices.month',
      'expected a non-negative amount in minor units',
    ],
    [
      'money with decimals',
      (c) => (c.plans.pro.prices.month = 29.99),
      'plans.pro.prices.month',
      'write 2999 for 29.99',
    ],
    [
      'credits with 4 decimals',
      (c) => (c.operations.search = 0.0001),
      'operations.search',
      'expected a number of credits with at most 3 decimals',
    ],
    [
      'negative credits',
      (c) => (c.operations.capture = { credits: -1 }),
      'operations.capture.credits',
      'expected a non-negative number of credits',
    ],
    [
      'an undeclared feature',
      (c) => c.plans.pro.features.push('teleport'),
      'plans.pro.features.3',
      "feature 'teleport' is not declared in features",
    ],
    ['an unknown field', (c) => (c.plans.free.limts = {}), 'plans.free.limts', 'unknown field'],
    ['an unknown top-level field', (c) => (c.plan = {}), 'plan', 'unknown field'],
    ['a missing plan name', (c) => delete c.plans.free.name, 'plans.free.name', 'required'],
    [
      'a missing credit limit',
      (c) => delete c.plans.starter.limits.credits,
      'plans.starter.limits.credits',
      'required',
    ],
    [
      'a default plan that does not exist',
      (c) => (c.default_plan = 'basic'),
      'default_plan',
      "plan 'basic' is not defined in plans",
    ],
    [
      'a priced default plan',
      (c) => (c.default_plan = 'starter'),
      'default_plan',
      "the default plan 'starter' must be free",
    ],
    [
      'a bad storage unit',
      (c) => (c.plans.pro.limits.storage.bytes = '10XB'),
      'plans.pro.limits.storage.bytes',
      "unknown size unit 'XB'",
    ],
    [
      'zero requests per minute',
      (c) => (c.plans.free.limits.requests.minute = 0),
      'plans.free.limits.requests.minute',
      'expected a positive integer',
    ],
    [
      'fractional requests per minute',
      (c) => (c.plans.free.limits.requests.minute = 1.5),
      'plans.free.limits.requests.minute',
      'expected a positive integer',
    ],
    [
      'overage without a credit limit',
      (c) => (c.plans.pro.limits.credits = 'unlimited'),
      'plans.pro.overage',
      'overage needs a finite limits.credits',
    ],
    [
      'a Stripe price for an interval not offered',
      (c) => {
        delete c.plans.starter.prices.year;
        c.plans.starter.stripe = { year: 'price_1' };
      },
      'plans.starter.stripe.year',
      'names a yearly Stripe price, but the plan has no prices.year',
    ],
    [
      'a Stripe overage price without overage',
      (c) => (c.plans.starter.stripe = { overage: 'price_1' }),
      'plans.starter.stripe.overage',
      'the plan has no overage',
    ],
    [
      'a price id that is not one',
      (c) => (c.plans.pro.stripe.month = 'prod_1'),
      'plans.pro.stripe.month',
      "starting with 'price_'",
    ],
    [
      'a trial too long',
      (c) => (c.plans.pro.trial_days = 731),
      'plans.pro.trial_days',
      'expected an integer from 0 to 730',
    ],
    ['a bad plan id', (c) => (c.plans.Gold = c.plans.enterprise), 'plans.Gold', "invalid plan id 'Gold'"],
    [
      'a bad operation id',
      (c) => (c.operations['search all'] = 1),
      'operations.search all',
      "invalid operation id 'search all'",
    ],
    [
      'a currency that is not a code',
      (c) => (c.currency = 'dollars'),
      'currency',
      'expected a 3-letter ISO 4217 currency code',
    ],
    [
      'a route that is not a path',
      (c) => c.exempt_routes.push('health'),
      'exempt_routes.3',
      'expected a path starting with /',
    ],
    [
      'an operation of the wrong type',
      (c) => (c.operations.search = true),
      'operations.search',
      'expected a number of credits',
    ],
    [
      'a feature list that is not a list',
      (c) => (c.plans.free.features = 'federation'),
      'plans.free.features',
      'expected a list',
    ],
    ['no plans', (c) => (c.plans = {}), 'plans', 'at least one plan is required'],
  ];

  it.each(malformed)('refuses %s, naming the field', (_, breakIt, path, message) => {
    const input = demoInput();
    breakIt(input);
    const issues = issuesOf(input);
    expect(issues).toEqual([{ path, message: expect.stringContaining(message) }]);
  });

  it('reports every problem at once, in file order, one line each', () => {
    const input = demoInput();
    input.currency = 'US';
    input.operations.search = 0.0001;
    input.plans.free.prices.month = 9.99;
    input.plans.free.limits.requests.minute = 0;
    input.plans.pro.features.push('teleport');
    input.plans.pro.colour = 'blue';
    input.default_plan = 'basic';
    let error: unknown;
    try {
      parseCatalog(input);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(CatalogError);
    const catalogError = error as CatalogError;
    expect(catalogError.issues.map((issue) => issue.path)).toEqual([
      'currency',
      'default_plan',
      'operations.search',
      'plans.free.prices.month',
      'plans.free.limits.requests.minute',
      'plans.pro.features.3',
      'plans.pro.colour',
    ]);
    expect(catalogError.message.split('\n')).toEqual([
      'currency: expected a 3-letter ISO 4217 currency code such as usd',
      "default_plan: plan 'basic' is not defined in plans (free, starter, pro, enterprise)",
      'operations.search: expected a number of credits with at most 3 decimals (0.001 is the smallest amount)',
      'plans.free.prices.month: expected an integer amount in minor units (cents): write 999 for 9.99',
      'plans.free.limits.requests.minute: expected a positive integer, or unlimited',
      "plans.pro.features.3: feature 'teleport' is not declared in features",
      'plans.pro.colour: unknown field',
    ]);
  });

  it('suggests the field a near-miss key was meant to be', () => {
    const input = demoInput();
    input.plan = input.plans;
    delete input.plans;
    input.plan.free.limts = input.plan.free.limits;
    input.plan.free.limits.storage.byte = 1;
    input.operations.reflect.descripton = 'x';
    expect(issuesOf(input)).toEqual([
      { path: 'operations.reflect.descripton', message: "unknown field (did you mean 'description'?)" },
      { path: 'plan', message: "unknown field (did you mean 'plans'?)" },
      { path: 'plans', message: 'required' },
    ]);
    const nested = demoInput();
    nested.plans.free.limits.storage.byte = 1;
    nested.plans.free.limts = {};
    expect(issuesOf(nested)).toEqual([
      { path: 'plans.free.limits.storage.byte', message: "unknown field (did you mean 'bytes'?)" },
      { path: 'plans.free.limts', message: "unknown field (did you mean 'limits'?)" },
    ]);
  });

  it('refuses input that is not a mapping', () => {
    for (const input of [null, undefined, [], 'plans', 3]) {
      expect(issuesOf(input)).toEqual([
        { path: '', message: 'expected the catalog to be a mapping (key: value pairs)' },
      ]);
    }
  });
});
