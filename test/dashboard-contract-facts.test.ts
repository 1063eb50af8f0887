/**
 * How the billing page's current plan card says where a limit comes from (dashboard/src/billing/
 * contract-facts): the "Contract" mark with the date an override ends, which override a line shows,
 * and the features a contract adds or removes. Dates are read in UTC here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ContractEntry,
  contractEntryFor,
  contractLabel,
  featureFacts,
} from '../dashboard/src/billing/contract-facts.js';

const entry = (key: string, value: unknown, expires_at: string | null = null): ContractEntry => ({
  key,
  value,
  plan_value: null,
  expires_at,
});

describe('contract facts on the plan card', () => {
  const zone = process.env.TZ;
  beforeAll(() => {
    process.env.TZ = 'UTC';
  });
  afterAll(() => {
    process.env.TZ = zone;
  });

  it('marks a contract value, with the day it ends when it ends', () => {
    expect(contractLabel(null)).toBe('Contract');
    const until = contractLabel('2027-03-01T00:00:00.000Z');
    expect(until).toMatch(/^Contract until /);
    expect(until).toContain('2027');
    expect(until).toMatch(/Mar|3/);
  });

  it('finds the override behind a line, the soonest to end first', () => {
    const contract = [
      entry('credits', 5000),
      entry('operations.tokens.month', 10, '2027-06-01T00:00:00Z'),
      entry('operations.tokens.day', 1, '2027-04-01T00:00:00Z'),
      entry('operations.tokensx.day', 1, '2027-02-01T00:00:00Z'),
    ];
    expect(contractEntryFor(contract, ['credits'])?.value).toBe(5000);
    expect(contractEntryFor(contract, ['requests_per_minute'])).toBeUndefined();
    // `credits` does not match `credits_x`-like keys: exact unless the key ends with a dot.
    expect(contractEntryFor([entry('credits_extra', 1)], ['credits'])).toBeUndefined();
    expect(contractEntryFor(contract, ['operations.tokens.'])?.key).toBe('operations.tokens.day');
    expect(contractEntryFor(contract, ['overage', 'spending_cap'])).toBeUndefined();
    expect(contractEntryFor([entry('spending_cap', 500)], ['overage', 'spending_cap'])?.key).toBe(
      'spending_cap',
    );
  });

  it('lists added features as included and removed ones as not included, each marked', () => {
    const contract = [
      entry('features.federation', true, '2027-03-01T00:00:00Z'),
      entry('features.realtime_sync', false),
      entry('features.semantic_search', false),
      entry('credits', 5000),
    ];
    // The effective features: semantic_search removed, federation added.
    expect(featureFacts(['federation'], contract)).toEqual([
      { id: 'federation', included: true, contract: contract[0] },
      { id: 'realtime_sync', included: false, contract: contract[1] },
      { id: 'semantic_search', included: false, contract: contract[2] },
    ]);
    // Without a contract, the plan's features, none marked.
    expect(featureFacts(['semantic_search', 'federation'], [])).toEqual([
      { id: 'semantic_search', included: true },
      { id: 'federation', included: true },
    ]);
  });
});
