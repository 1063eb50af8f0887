import { describe, expect, it } from 'vitest';
import { denialMessage } from './denial-message.js';
import type { DecisionFigures, Refusal } from './gate-decision.js';

function figures(overrides: Partial<DecisionFigures> = {}): DecisionFigures {
  return {
    allowed: false,
    reason: null,
    customerId: 'cus_1',
    plan: 'free',
    credits: {
      cost: 1000,
      used: 1_000_000,
      limit: 1_000_000,
      effectiveLimit: 1_000_000,
      remaining: 0,
      resetAt: 0,
    },
    rate: { minute: null, day: null },
    refusal: null,
    operation: null,
    refusedWindow: null,
    refusedKey: null,
    retryAfterSeconds: null,
    upgradeUrl: null,
    eventId: null,
    replayed: false,
    contract: new Map(),
    ...overrides,
  };
}

const storage = (current: [number, number], requested: [number, number]): Refusal => ({
  kind: 'storage',
  current: { bytes: current[0], items: current[1] },
  requested: { bytes: requested[0], items: requested[1] },
  limits: { bytes: 1000, items: 10 },
});

describe('denialMessage', () => {
  it("says the product brief's sentence when the quota is used up", () => {
    expect(denialMessage('quota_exceeded', figures())).toBe(
      'Monthly quota exceeded. Used 1000/1000 credits.',
    );
  });

  it('adds what the request needed when credits were left, in exact decimals', () => {
    const credits = {
      cost: 2500,
      used: 99_900,
      limit: 100_000,
      effectiveLimit: 100_000,
      remaining: 100,
      resetAt: 0,
    };
    expect(denialMessage('quota_exceeded', figures({ credits }))).toBe(
      'Monthly quota exceeded. Used 99.9/100 credits. This request needs 2.5.',
    );
  });

  it('counts granted credits in the quota it names, and says how many were granted', () => {
    const credits = {
      cost: 1000,
      used: 150_000,
      limit: 100_000,
      effectiveLimit: 150_000,
      remaining: 0,
      resetAt: 0,
    };
    expect(denialMessage('quota_exceeded', figures({ credits }))).toBe(
      'Monthly quota exceeded. Used 150/150 credits (100 of the plan, 50 granted).',
    );
  });

  it('names the window, the concurrency limit, the feature and the plan', () => {
    const rate: Refusal = { kind: 'rate', window: 'day', limit: 100 };
    expect(denialMessage('rate_limited', figures({ refusal: rate }))).toBe(
      'Rate limit exceeded (100 requests per day).',
    );
    expect(
      denialMessage('concurrency_limited', figures({ refusal: { kind: 'concurrency', limit: 2 } })),
    ).toBe('Too many requests at once (2 at a time on the free plan).');
    expect(
      denialMessage(
        'feature_not_available',
        figures({ plan: 'pro', refusal: { kind: 'feature', feature: 'sso' } }),
      ),
    ).toBe("Feature 'sso' is not available on the pro plan.");
  });

  it('names each storage limit the request would pass', () => {
    expect(denialMessage('storage_limit_exceeded', figures({ refusal: storage([900, 10], [0, 1]) }))).toBe(
      'Storage limit exceeded (this request would store 11 of 10 items).',
    );
    expect(denialMessage('storage_limit_exceeded', figures({ refusal: storage([900, 9], [200, 2]) }))).toBe(
      'Storage limit exceeded (this request would store 1100 of 1000 bytes and 11 of 10 items).',
    );
  });

  it("falls back to the registry's sentence when there are no figures", () => {
    expect(denialMessage('account_suspended', figures())).toBe(
      'This account is suspended because a payment failed.',
    );
  });
});
