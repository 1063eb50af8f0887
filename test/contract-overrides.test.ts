/**
 * Per-customer overrides through the engine on real stores: each kind of limit raised and lowered
 * (credits, request rates, concurrency, storage, an operation window, overage and its cap, a feature
 * on and off), obeyed by the very next request, exact expiry in billing time, audited, and refused
 * input writing nothing.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseCatalog } from '../src/core/catalog/parse-catalog.js';
import { ManualClock } from '../src/core/clock.js';
import type { OverrideEntry } from '../src/core/contract/override-changes.js';
import type { GateRequest } from '../src/core/gate/gate.js';
import { createTollgate, type Tollgate } from '../src/core/tollgate.js';
import { createMemoryCounters } from '../src/counters/memory-counters.js';
import { type Backend, backends } from './support/backends.js';

const catalog = parseCatalog({
  currency: 'usd',
  default_plan: 'basic',
  upgrade_url: '/billing',
  features: { federation: 'Federation', realtime_sync: 'Realtime sync' },
  operations: { capture: 1, tokens: 0 },
  plans: {
    basic: {
      name: 'Basic',
      limits: {
        credits: 5,
        requests: { minute: 3, day: 6 },
        concurrent: 2,
        storage: { bytes: 100, items: 2 },
        operations: { tokens: { day: 10 } },
      },
      features: ['realtime_sync'],
    },
    metered: {
      name: 'Metered',
      limits: { credits: 5 },
      // 1 credit of overage costs 10 cents; at most 30 cents: 3 credits past the quota.
      overage: { price: 10, per_credits: 1, cap: 30 },
    },
  },
});

const START = Date.UTC(2026, 2, 10, 12);
const ACTOR = 'admin:key_test';

/** How many of `attempts` requests, one after the other, are admitted. */
async function admitted(tollgate: Tollgate, customerId: string, request: GateRequest, attempts: number) {
  let count = 0;
  for (let index = 0; index < attempts; index++) {
    const decision = await tollgate.consume(customerId, request);
    if (decision.allowed) count += 1;
    decision.release();
  }
  return count;
}

describe.each(backends)('contract overrides on %s', (_name, open) => {
  let backend: Backend;
  let clock: ManualClock;
  let tollgate: Tollgate;

  const set = (customerId: string, values: Record<string, unknown>, expiresAt: number | null = null) =>
    tollgate.setOverrides(
      customerId,
      {
        set: Object.entries(values).map(([key, value]): OverrideEntry => ({ path: key, key, value })),
        expiresAt,
        reason: 'negotiated',
      },
      ACTOR,
    );

  beforeEach(async () => {
    backend = await open();
    clock = new ManualClock(START);
    tollgate = createTollgate({ catalog, store: backend.store, counters: createMemoryCounters(), clock });
  });
  afterEach(async () => {
    await tollgate.close();
    await backend.cleanup();
  });

  it('raises and lowers the credit quota, and the denial says the limit is the contract', async () => {
    const raised = await tollgate.createCustomer({});
    await set(raised.id, { credits: 8 });
    expect(await admitted(tollgate, raised.id, { operation: 'capture', countRequest: false }, 12)).toBe(8);
    const refused = await tollgate.consume(raised.id, { operation: 'capture', countRequest: false });
    expect(refused).toMatchObject({ reason: 'quota_exceeded', limitSource: 'contract' });
    expect(refused.credits).toMatchObject({ used: 8000, limit: 8000 });

    const lowered = await tollgate.createCustomer({});
    await set(lowered.id, { credits: 2.5 });
    expect(await admitted(tollgate, lowered.id, { operation: 'capture', countRequest: false }, 5)).toBe(2);
    const plain = await tollgate.createCustomer({});
    expect(await admitted(tollgate, plain.id, { operation: 'capture', countRequest: false }, 8)).toBe(5);
    const planDenial = await tollgate.consume(plain.id, { operation: 'capture', countRequest: false });
    expect(planDenial.limitSource).toBe('plan');
  });

  it('obeys a change on the very next request, with no wait for the customer cache', async () => {
    const customer = await tollgate.createCustomer({});
    expect(await admitted(tollgate, customer.id, { operation: 'capture', countRequest: false }, 5)).toBe(5);
    expect((await tollgate.consume(customer.id, { operation: 'capture', countRequest: false })).allowed).toBe(
      false,
    );
    await set(customer.id, { credits: 6 });
    expect((await tollgate.consume(customer.id, { operation: 'capture', countRequest: false })).allowed).toBe(
      true,
    );
    await tollgate.removeOverrides(customer.id, ['credits'], ACTOR);
    expect((await tollgate.consume(customer.id, { operation: 'capture', countRequest: false })).allowed).toBe(
      false,
    );
  });

  it('raises and lowers the per-minute and per-day request rates', async () => {
    const minute = await tollgate.createCustomer({});
    await set(minute.id, { requests_per_minute: 5 });
    expect(await admitted(tollgate, minute.id, {}, 8)).toBe(5);
    const rate = await tollgate.consume(minute.id, {});
    expect(rate).toMatchObject({ reason: 'rate_limited', limitSource: 'contract' });
    expect(rate.headers['X-RateLimit-Limit-Minute']).toBe('5');

    const day = await tollgate.createCustomer({});
    await set(day.id, { requests_per_day: 2, requests_per_minute: null });
    expect(await admitted(tollgate, day.id, {}, 5)).toBe(2);
    const refused = await tollgate.consume(day.id, {});
    expect(refused.refusal).toEqual({ kind: 'rate', window: 'day', limit: 2 });
    expect(refused.rate.minute).toBeNull();
  });

  it('raises and lowers concurrency', async () => {
    const customer = await tollgate.createCustomer({});
    await set(customer.id, { concurrent_requests: 3 });
    const held = await Promise.all(
      Array.from({ length: 5 }, () => tollgate.consume(customer.id, { holdSlot: true, countRequest: false })),
    );
    expect(held.filter((decision) => decision.allowed)).toHaveLength(3);
    expect(held.find((decision) => !decision.allowed)).toMatchObject({
      reason: 'concurrency_limited',
      limitSource: 'contract',
    });
    for (const decision of held) decision.release();

    await set(customer.id, { concurrent_requests: 1 });
    const lowered = await Promise.all(
      Array.from({ length: 3 }, () => tollgate.consume(customer.id, { holdSlot: true, countRequest: false })),
    );
    expect(lowered.filter((decision) => decision.allowed)).toHaveLength(1);
    for (const decision of lowered) decision.release();
  });

  it('raises and lowers storage limits (bytes with a unit, items)', async () => {
    const customer = await tollgate.createCustomer({});
    await tollgate.setStorage(customer.id, { bytes: 100, items: 1 });
    expect((await tollgate.check(customer.id, { storage: { bytes: 1 } })).reason).toBe(
      'storage_limit_exceeded',
    );
    await set(customer.id, { storage_bytes: '1KB', storage_items: 1 });
    expect((await tollgate.check(customer.id, { storage: { bytes: 900 } })).allowed).toBe(true);
    const items = await tollgate.check(customer.id, { storage: { items: 1 } });
    expect(items).toMatchObject({ reason: 'storage_limit_exceeded', limitSource: 'contract' });
    expect(items.refusal).toMatchObject({ limits: { bytes: 1000, items: 1 } });
  });

  it('keeps the overrides on a customer another engine updates before it ever read it', async () => {
    const customer = await tollgate.createCustomer({});
    await set(customer.id, { storage_bytes: 5000 });
    const fresh = createTollgate({ catalog, store: backend.store, counters: createMemoryCounters(), clock });
    try {
      const updated = await fresh.setStorage(customer.id, { bytes: 4000, items: 0 });
      expect(fresh.access(updated).plan.limits.storageBytes).toBe(5000);
      expect((await fresh.check(customer.id, { storage: { bytes: 900 } })).allowed).toBe(true);
    } finally {
      await fresh.close();
    }
  });

  it('raises and lowers an operation window and adds one the plan does not have', async () => {
    const customer = await tollgate.createCustomer({});
    await set(customer.id, { 'operations.tokens.day': 25, 'operations.tokens.month': 40 });
    expect(
      await admitted(tollgate, customer.id, { operation: 'tokens', quantity: 5, countRequest: false }, 7),
    ).toBe(5);
    const refused = await tollgate.consume(customer.id, {
      operation: 'tokens',
      quantity: 1,
      countRequest: false,
    });
    expect(refused.refusedWindow).toMatchObject({ window: 'day', limit: 25, used: 25 });
    expect(refused.limitSource).toBe('contract');
    expect((await tollgate.operationUsage(customer.id)).tokens).toMatchObject({
      day: { used: 25, limit: 25 },
      month: { used: 25, limit: 40 },
    });

    const lowered = await tollgate.createCustomer({});
    await set(lowered.id, { 'operations.tokens.day': 4 });
    expect(
      await admitted(tollgate, lowered.id, { operation: 'tokens', quantity: 1, countRequest: false }, 10),
    ).toBe(4);
  });

  it('adds overage to a hard quota, caps it, and turns a plan overage off', async () => {
    const billed = await tollgate.createCustomer({});
    await set(billed.id, { overage: { unit_amount: 10, unit_credits: 1, cap_amount: 20 } });
    // 5 included + 20 cents of overage at 10 cents per credit = 7.
    expect(await admitted(tollgate, billed.id, { operation: 'capture', countRequest: false }, 10)).toBe(7);

    const capped = await tollgate.createCustomer({ plan: 'metered' });
    expect(await admitted(tollgate, capped.id, { operation: 'capture', countRequest: false }, 10)).toBe(8);
    await set(capped.id, { spending_cap: 50 });
    expect(await admitted(tollgate, capped.id, { operation: 'capture', countRequest: false }, 10)).toBe(2);

    const hard = await tollgate.createCustomer({ plan: 'metered' });
    await set(hard.id, { overage: null });
    expect(await admitted(tollgate, hard.id, { operation: 'capture', countRequest: false }, 10)).toBe(5);
  });

  it('turns a feature on and off', async () => {
    const customer = await tollgate.createCustomer({});
    expect((await tollgate.check(customer.id, { feature: 'federation' })).reason).toBe(
      'feature_not_available',
    );
    await set(customer.id, { 'features.federation': true, 'features.realtime_sync': false });
    expect((await tollgate.check(customer.id, { feature: 'federation' })).allowed).toBe(true);
    const off = await tollgate.check(customer.id, { feature: 'realtime_sync' });
    expect(off).toMatchObject({ reason: 'feature_not_available', limitSource: 'contract' });
  });

  it('expires exactly in billing time: the override one millisecond before, the plan at the instant', async () => {
    const customer = await tollgate.createCustomer({});
    const expiresAt = START + 3_600_000;
    await set(customer.id, { credits: 7, 'features.federation': true }, expiresAt);
    expect(await admitted(tollgate, customer.id, { operation: 'capture', countRequest: false }, 6)).toBe(6);

    clock.set(expiresAt - 1);
    expect((await tollgate.check(customer.id, { feature: 'federation' })).allowed).toBe(true);
    expect(tollgate.access(await tollgate.getCustomer(customer.id)).plan.limits.credits).toBe(7000);
    clock.set(expiresAt);
    expect((await tollgate.check(customer.id, { feature: 'federation' })).reason).toBe(
      'feature_not_available',
    );
    const access = tollgate.access(await tollgate.getCustomer(customer.id));
    expect(access.plan.limits.credits).toBe(5000);
    expect(access.overrides.size).toBe(0);
    expect(
      (await tollgate.consume(customer.id, { operation: 'capture', countRequest: false })).limitSource,
    ).toBe('plan');
    // Still stored (the console shows what was agreed), just no longer in force.
    expect((await tollgate.listOverrides(customer.id)).map((override) => override.key)).toEqual([
      'credits',
      'features.federation',
    ]);
  });

  it('audits each change with who, what, before, after and the reason', async () => {
    const customer = await tollgate.createCustomer({});
    await set(customer.id, { credits: 8 });
    await set(customer.id, { credits: 9, 'operations.tokens.day': null });
    await tollgate.removeOverrides(customer.id, 'all', 'admin:other', 'contract ended');
    const { entries } = await backend.store.listAudit({ customerId: customer.id, limit: 10 });
    expect(entries.map((entry) => [entry.actor, entry.action])).toEqual([
      ['admin:other', 'contract.overrides_removed'],
      [ACTOR, 'contract.overrides_set'],
      [ACTOR, 'contract.overrides_set'],
    ]);
    expect(entries[1]?.details).toEqual({
      plan: 'basic',
      reason: 'negotiated',
      changes: [
        {
          key: 'credits',
          plan: 5,
          before: { value: 8, expires_at: null },
          after: { value: 9, expires_at: null },
        },
        { key: 'operations.tokens.day', plan: 10, before: null, after: { value: null, expires_at: null } },
      ],
    });
    expect(entries[0]?.details).toMatchObject({
      reason: 'contract ended',
      changes: [
        { key: 'credits', before: { value: 9 }, after: null },
        { key: 'operations.tokens.day', before: { value: null }, after: null },
      ],
    });
  });

  it('refuses bad input naming every problem, writing nothing', async () => {
    const customer = await tollgate.createCustomer({});
    const refused = set(
      customer.id,
      {
        credits: -1,
        'operations.video.day': 5,
        'operations.tokens.week': 5,
        'features.teleport': true,
        requests_per_minute: 0,
        concurrent_requests: 2,
      },
      START - 1,
    );
    await expect(refused).rejects.toMatchObject({
      code: 'invalid_request',
      details: {
        issues: [
          { path: 'expires_at', message: expect.stringContaining('after the current billing time') },
          { path: 'credits', message: expect.stringContaining('non-negative') },
          { path: 'operations.video.day', message: "unknown operation 'video'" },
          { path: 'operations.tokens.week', message: expect.stringContaining("unknown window 'week'") },
          { path: 'features.teleport', message: "unknown feature 'teleport'" },
          { path: 'requests_per_minute', message: expect.stringContaining('positive integer') },
        ],
      },
    });
    await expect(tollgate.removeOverrides(customer.id, ['credits'], ACTOR)).rejects.toMatchObject({
      code: 'not_found',
    });
    expect(await tollgate.listOverrides(customer.id)).toEqual([]);
    expect((await backend.store.listAudit({ customerId: customer.id, limit: 10 })).entries).toEqual([]);
  });
});
