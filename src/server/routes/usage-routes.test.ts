/**
 * The customer's read-side routes and the no-debit check over a real SQLite store: usage figures,
 * entitlements, `/usage/check` (headers, each denial reason, nothing counted) and storage reports.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testCatalog } from '../../../test/support/test-catalog.js';
import { DAY_MS } from '../../core/periods.js';
import { checkResultSchema } from '../decision-view.js';
import { openTestServer, type TestServer } from '../testing/open-test-server.js';
import { usageSchema } from '../usage-view.js';

describe('customer usage routes', () => {
  let server: TestServer;
  let customer: { id: string; key: string };

  beforeEach(async () => {
    server = await openTestServer({ catalog: testCatalog() });
    customer = await server.newCustomer({ plan: 'free' });
  });

  afterEach(async () => {
    await server.close();
  });

  const record = (key: string, body: Record<string, unknown>) =>
    server.call('POST', '/api/v1/usage/record', { key, body });

  describe('GET /api/v1/usage', () => {
    it('shows credits as numbers, the request windows, storage and the period', async () => {
      await record(customer.key, { operation: 'capture', quantity: 3 });
      await record(customer.key, { operation: 'search' });
      await server.call('POST', '/api/v1/usage/storage', {
        key: customer.key,
        body: { bytes: 250, items: 4 },
      });

      const response = await server.call('GET', '/api/v1/usage', { key: customer.key });
      expect(response.statusCode).toBe(200);
      const usage = usageSchema.parse(response.json());
      expect(usage).toEqual({
        customer_id: customer.id,
        subscription_tier: 'free',
        credits_used: 3.1,
        monthly_limit: 100,
        quota_remaining: 96.9,
        usage_percentage: 3.1,
        quota_exceeded: false,
        overage_used: 0,
        period_start: '2026-01-01T00:00:00.000Z',
        period_end: '2026-02-01T00:00:00.000Z',
        status: 'active',
        in_trial: false,
        trial_end_date: null,
        trial_days_left: null,
        grace_period_end: null,
        requests_this_minute: 2,
        requests_per_minute_limit: 10,
        requests_today: 2,
        requests_per_day_limit: 100,
        concurrent_requests_limit: 2,
        storage_bytes: 250,
        storage_bytes_limit: 1000,
        storage_items: 4,
        storage_items_limit: null,
        operations: {
          capture: {
            month: { used: 3, limit: null, remaining: null, resets_at: '2026-02-01T00:00:00.000Z' },
          },
          search: { month: { used: 1, limit: null, remaining: null, resets_at: '2026-02-01T00:00:00.000Z' } },
        },
        contract: [],
        grants: [],
      });
    });

    it('reports a trial, and a suspension once the grace period is over', async () => {
      const trialEnd = server.clock.now() + 10 * DAY_MS;
      await server.tollgate.updateCustomer(customer.id, { status: 'trialing', trialEnd });
      const trial = (await server.call('GET', '/api/v1/usage', { key: customer.key })).json();
      expect(trial).toMatchObject({
        in_trial: true,
        trial_end_date: new Date(trialEnd).toISOString(),
        trial_days_left: 10,
      });
      server.clock.advance(DAY_MS + 1); // 8 days and most of a ninth left: 9, rounded up
      expect((await server.call('GET', '/api/v1/usage', { key: customer.key })).json().trial_days_left).toBe(
        9,
      );

      const failedAt = server.clock.now() - 4 * DAY_MS;
      await server.tollgate.updateCustomer(customer.id, { status: 'past_due', paymentFailedAt: failedAt });
      const suspended = await server.call('GET', '/api/v1/usage', { key: customer.key });
      expect(suspended.statusCode).toBe(200);
      expect(suspended.json()).toMatchObject({
        status: 'suspended',
        in_trial: false,
        grace_period_end: new Date(failedAt + 3 * DAY_MS).toISOString(),
      });
    });

    it('says unlimited with null and marks an exceeded quota', async () => {
      const bulk = await server.newCustomer({ plan: 'bulk' });
      await record(bulk.key, { operation: 'capture', quantity: 100 });
      const usage = (await server.call('GET', '/api/v1/usage', { key: bulk.key })).json();
      expect(usage).toMatchObject({
        credits_used: 100,
        quota_remaining: 0,
        usage_percentage: 100,
        quota_exceeded: true,
        requests_this_minute: null,
        requests_per_minute_limit: null,
      });
    });

    it('needs a customer key: 401 without one, 403 for an admin key', async () => {
      const anonymous = await server.call('GET', '/api/v1/usage');
      expect(anonymous.statusCode).toBe(401);
      expect(anonymous.json()).toEqual({ error: 'unauthorized', message: 'A valid API key is required.' });
      const admin = await server.call('GET', '/api/v1/usage', { key: server.adminKey });
      expect(admin.statusCode).toBe(403);
      expect(admin.json()).toMatchObject({ error: 'forbidden' });
    });

    it('refuses an unknown query field', async () => {
      const response = await server.call('GET', '/api/v1/usage?customer_id=someone', { key: customer.key });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({
        error: 'invalid_request',
        message: 'customer_id: unknown field',
        issues: [{ path: 'customer_id', message: 'unknown field' }],
      });
    });
  });

  describe('GET /api/v1/usage/history', () => {
    it('covers the same period and credits as /usage after a trial starts mid-month', async () => {
      // 9.1 credits in the free plan's calendar month, then a trial starts at the same instant (billing
      // time stands still on a Stripe test clock): the new period starts when those events were recorded.
      await record(customer.key, { operation: 'capture', quantity: 9 });
      await record(customer.key, { operation: 'search' });
      const start = server.clock.now();
      await server.tollgate.updateCustomer(customer.id, {
        plan: 'pro',
        status: 'trialing',
        stripeSubscriptionId: 'sub_trial',
        periodStart: start,
        periodEnd: start + 14 * DAY_MS,
        trialEnd: start + 14 * DAY_MS,
      });
      await record(customer.key, { operation: 'search', quantity: 3 });

      const usage = (await server.call('GET', '/api/v1/usage', { key: customer.key })).json();
      const history = (await server.call('GET', '/api/v1/usage/history', { key: customer.key })).json();
      expect(usage).toMatchObject({ credits_used: 0.3, period_start: new Date(start).toISOString() });
      expect(history.period_start).toBe(usage.period_start);
      expect(history.period_end).toBe(usage.period_end);
      expect(history.data).toEqual([{ start: usage.period_start, credits: 0.3, events: 1 }]);
    });
  });

  describe('GET /api/v1/entitlements', () => {
    it('lists every declared feature with whether the plan has it, limits and operation costs', async () => {
      const response = await server.call('GET', '/api/v1/entitlements', { key: customer.key });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({
        customer_id: customer.id,
        subscription_tier: 'free',
        plan_name: 'free',
        status: 'active',
        serviceable: true,
        features: { federation: false },
        limits: {
          credits_per_month: 100,
          requests_per_minute: 10,
          requests_per_day: 100,
          concurrent_requests: 2,
          storage_bytes: 1000,
          storage_items: null,
          operations: {},
        },
        overage: null,
        operation_costs: { capture: 1, search: 0.1 },
        operations: {
          capture: {
            month: { used: 0, limit: null, remaining: null, resets_at: '2026-02-01T00:00:00.000Z' },
          },
          search: { month: { used: 0, limit: null, remaining: null, resets_at: '2026-02-01T00:00:00.000Z' } },
        },
        contract: [],
      });
    });

    it('follows the plan: pro has federation and overage', async () => {
      const pro = await server.newCustomer({ plan: 'pro' });
      const body = (await server.call('GET', '/api/v1/entitlements', { key: pro.key })).json();
      expect(body).toMatchObject({
        subscription_tier: 'pro',
        features: { federation: true },
        overage: { unit_amount: 10, unit_credits: 1000, cap_amount: 1 },
      });
    });

    it('answers 403 to an admin key', async () => {
      const response = await server.call('GET', '/api/v1/entitlements', { key: server.adminKey });
      expect(response.statusCode).toBe(403);
    });
  });

  describe('POST /api/v1/usage/check', () => {
    const check = (body: unknown, key = customer.key) =>
      server.call('POST', '/api/v1/usage/check', { key, body });

    it('answers allowed with the figures and the decision headers, counting and debiting nothing', async () => {
      const response = await check({ operation: 'capture', quantity: 5 });
      expect(response.statusCode).toBe(200);
      expect(checkResultSchema.parse(response.json())).toMatchObject({
        allowed: true,
        reason: null,
        cost: 5,
        credits_used: 0,
        quota_remaining: 100,
        requests_remaining_minute: 10,
      });
      expect(response.headers).toMatchObject({
        'x-tier': 'free',
        'x-credits-used': '0',
        'x-credits-remaining': '100',
        'x-ratelimit-remaining-minute': '10',
      });
      const again = await check({ operation: 'capture', quantity: 5 });
      expect(again.json()).toMatchObject({ credits_used: 0, requests_remaining_minute: 10 });
    });

    it('answers 200 allowed=false with the reason when the quota would be passed', async () => {
      const response = await check({ operation: 'capture', quantity: 101 });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({
        allowed: false,
        reason: 'quota_exceeded',
        upgrade_url: 'https://example.test/upgrade',
      });
      expect(response.json().retry_after).toBeGreaterThan(0);
      expect(response.headers['retry-after']).toBe(String(response.json().retry_after));
    });

    it('says rate_limited once the minute is used up by recorded usage', async () => {
      for (let i = 0; i < 10; i++)
        expect((await record(customer.key, { operation: 'search' })).statusCode).toBe(200);
      expect((await check({ operation: 'search' })).json()).toMatchObject({
        allowed: false,
        reason: 'rate_limited',
        requests_remaining_minute: 0,
      });
    });

    it('says account_suspended after the grace period', async () => {
      await server.tollgate.updateCustomer(customer.id, {
        status: 'past_due',
        paymentFailedAt: server.clock.now() - 4 * DAY_MS,
      });
      expect((await check({ operation: 'search' })).json()).toMatchObject({
        allowed: false,
        reason: 'account_suspended',
      });
    });

    it('refuses an unknown operation, bad quantities and unknown fields with every issue', async () => {
      const unknown = await check({ operation: 'teleport' });
      expect(unknown.statusCode).toBe(400);
      expect(unknown.json().issues).toEqual([{ path: 'operation', message: "unknown operation 'teleport'" }]);

      const bad = await check({ operation: 'search', quantity: 0, customer: 'cus_other' });
      expect(bad.statusCode).toBe(400);
      expect(
        bad
          .json()
          .issues.map((issue: { path: string }) => issue.path)
          .sort(),
      ).toEqual(['customer', 'quantity']);
      for (const quantity of [1.5, -1, 1_000_000_001, '3', null]) {
        expect((await check({ operation: 'search', quantity })).statusCode).toBe(400);
      }
      expect((await check({})).json().issues).toEqual([
        { path: 'operation', message: 'Invalid input: expected string, received undefined' },
      ]);
    });
  });

  describe('POST /api/v1/usage/storage', () => {
    const report = (body: unknown) =>
      server.call('POST', '/api/v1/usage/storage', { key: customer.key, body });

    it('records absolute figures and says when they pass the limit', async () => {
      expect((await report({ bytes: 400, items: 2 })).json()).toEqual({
        storage_bytes: 400,
        storage_bytes_limit: 1000,
        storage_items: 2,
        storage_items_limit: null,
        over_limit: false,
      });
      expect((await report({ bytes: 1500, items: 3 })).json()).toMatchObject({
        storage_bytes: 1500,
        over_limit: true,
      });
      expect((await server.tollgate.store.getCustomer(customer.id))?.storageBytes).toBe(1500);
    });

    it('refuses negative, fractional, missing and unknown figures and stores nothing', async () => {
      await report({ bytes: 10, items: 1 });
      for (const body of [
        { bytes: -1, items: 0 },
        { bytes: 1.5, items: 0 },
        { bytes: 10 },
        { bytes: 1, items: 1, delta: true },
        { bytes: 2 ** 60, items: 0 },
        [],
      ]) {
        const response = await report(body);
        expect(response.statusCode).toBe(400);
        expect(response.json().error).toBe('invalid_request');
      }
      expect((await server.tollgate.store.getCustomer(customer.id))?.storageBytes).toBe(10);
    });
  });
});
