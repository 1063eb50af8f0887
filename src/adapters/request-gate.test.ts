/**
 * The framework-neutral gate on its own: which paths are exempt, configuration refused when the app
 * is built, resolvers, faults left to the framework, and the decision handed to handlers.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testCatalog } from '../../test/support/test-catalog.js';
import { ManualClock } from '../core/clock.js';
import { TollgateError } from '../core/errors.js';
import type { Store } from '../core/ports.js';
import { createTollgate, type Tollgate } from '../core/tollgate.js';
import { createMemoryCounters } from '../counters/memory-counters.js';
import { createSqliteStore } from '../store/sqlite-store.js';
import { createRequestGate, decisionOf, type RequestFacts, reportUsage } from './request-gate.js';

interface FakeRequest {
  user?: string;
}

describe('createRequestGate', () => {
  let store: Store;
  let tollgate: Tollgate;
  let customerId: string;
  let key: string;

  const facts = (path: string, headers: RequestFacts['headers'] = {}, method = 'POST'): RequestFacts => ({
    method,
    path,
    headers,
  });

  beforeEach(async () => {
    store = createSqliteStore({ filename: ':memory:' });
    await store.migrate();
    const catalog = testCatalog();
    catalog.exemptRoutes = ['/health', '/public/'];
    tollgate = createTollgate({ catalog, store, counters: createMemoryCounters(), clock: new ManualClock() });
    customerId = (await tollgate.createCustomer({ plan: 'free' })).id;
    key = (await tollgate.issueApiKey(customerId)).key;
  });

  afterEach(async () => {
    await tollgate.close();
    await store.close();
  });

  it('exempts listed prefixes on a segment boundary only, ignoring the query string', async () => {
    const gate = createRequestGate<FakeRequest>({ tollgate })({ operation: 'capture' });
    const kinds = async (paths: string[]) =>
      Promise.all(paths.map(async (path) => (await gate(facts(path), {})).kind));
    expect(await kinds(['/health', '/health/deep', '/health?verbose=1', '/public/', '/public/a'])).toEqual(
      Array(5).fill('exempt'),
    );
    expect(await kinds(['/healthcheck', '/api/health', '/public', '/HEALTH'])).toEqual(
      Array(4).fill('denied'),
    );
  });

  it('exempts a CORS preflight, which carries no key, but not any OPTIONS request', async () => {
    const gate = createRequestGate<FakeRequest>({ tollgate })({ operation: 'capture' });
    const preflight = facts('/capture', { 'access-control-request-method': 'POST' }, 'OPTIONS');
    expect((await gate(preflight, {})).kind).toBe('exempt');
    expect((await gate(facts('/capture', {}, 'OPTIONS'), {})).kind).toBe('denied');
  });

  it('takes an explicit exempt list instead of the catalog one', async () => {
    const gate = createRequestGate<FakeRequest>({ tollgate, exempt: [] })({ operation: 'capture' });
    expect((await gate(facts('/health'), {})).kind).toBe('denied');
  });

  it('refuses bad configuration when the app is built, not on the first request', () => {
    const gate = createRequestGate<FakeRequest>({ tollgate });
    expect(() => gate({ operation: 'serch' })).toThrow(
      /unknown operation 'serch' \(catalog has capture, search\)/,
    );
    expect(() => gate({ feature: 'federaton' })).toThrow(/unknown feature 'federaton'/);
    expect(() => createRequestGate({ tollgate, exempt: ['health'] })).toThrow(/must start with '\/'/);
    expect(() => createRequestGate({ tollgate: undefined as unknown as Tollgate })).toThrow(/createTollgate/);
  });

  it('answers 401 when resolveCustomer finds nobody, and uses whom it finds', async () => {
    const gate = createRequestGate<FakeRequest>({
      tollgate,
      resolveCustomer: async (request) => request.user,
    })({
      operation: 'capture',
    });
    const anonymous = await gate(facts('/capture', { 'x-api-key': key }), {});
    expect(anonymous).toMatchObject({ kind: 'denied', status: 401, body: { error: 'unauthorized' } });
    expect((await gate(facts('/capture'), { user: customerId })).kind).toBe('allowed');
  });

  it('answers an unknown resolved customer with the registry error', async () => {
    const gate = createRequestGate<FakeRequest>({ tollgate, resolveCustomer: (request) => request.user })();
    expect(await gate(facts('/x'), { user: 'cus_nobody' })).toMatchObject({
      kind: 'denied',
      status: 404,
      body: { error: 'not_found', message: "No customer 'cus_nobody'." },
    });
  });

  it('leaves faults (a store that does not answer) to the framework as exceptions', async () => {
    const brokenStore = createSqliteStore({ filename: ':memory:' });
    await brokenStore.migrate();
    const broken = createTollgate({
      catalog: testCatalog(),
      store: brokenStore,
      counters: createMemoryCounters(),
    });
    const gate = createRequestGate<FakeRequest>({ tollgate: broken, resolveCustomer: () => 'cus_any' })();
    await brokenStore.close();
    const fault = await gate(facts('/x'), {}).catch((error: unknown) => error);
    expect(fault).toBeInstanceOf(Error);
    expect(fault).not.toBeInstanceOf(TollgateError);
    await broken.close();
  });

  it('accepts async quantity and storage readers', async () => {
    const gate = createRequestGate<FakeRequest>({ tollgate })({
      operation: 'capture',
      quantity: async () => 3,
      storage: async () => ({ bytes: 10 }),
    });
    const outcome = await gate(facts('/capture', { 'x-api-key': key }), {});
    expect(outcome.kind === 'allowed' && outcome.headers['X-Credits-Used']).toBe('3');
  });

  it('hands the decision of an allowed request to handlers through decisionOf', async () => {
    const gate = createRequestGate<FakeRequest>({ tollgate })({ operation: 'capture' });
    const allowed = {};
    const outcome = await gate(facts('/capture', { 'x-api-key': key }), allowed);
    expect(outcome.kind).toBe('allowed');
    expect(decisionOf(allowed)?.eventId).toEqual(expect.any(String));
    const denied = {};
    await gate(facts('/capture'), denied);
    expect(decisionOf(denied)).toBeUndefined();
    if (outcome.kind === 'allowed') outcome.decision.release();
  });

  it("counts the request's key: its own limits hold and the denial names it, a reserved route settles against it", async () => {
    const limited = await tollgate.issueApiKey(customerId, 'bot', {
      limits: { credits: 3, requestsPerMinute: 2 },
    });
    const gate = createRequestGate<FakeRequest>({ tollgate })({ operation: 'capture' });
    const kinds: string[] = [];
    let denial: Record<string, unknown> | undefined;
    for (let index = 0; index < 3; index++) {
      const outcome = await gate(facts('/capture', { 'x-api-key': limited.key }), {});
      kinds.push(outcome.kind);
      if (outcome.kind === 'allowed') outcome.finish();
      if (outcome.kind === 'denied') denial = outcome.body;
    }
    expect(kinds).toEqual(['allowed', 'allowed', 'denied']);
    expect(denial).toMatchObject({
      error: 'rate_limited',
      scope: 'key',
      key_id: limited.record.id,
      limit: 2,
    });
    // The customer's other key is not held back by this key's window.
    expect((await gate(facts('/capture', { 'x-api-key': key }), {})).kind).toBe('allowed');

    await tollgate.updateApiKey(limited.record.id, { limits: { requestsPerMinute: null } });
    const reserving = createRequestGate<FakeRequest>({ tollgate })({
      operation: 'capture',
      reserve: { quantity: () => 1 },
    });
    const request: FakeRequest = {};
    const reserved = await reserving(facts('/capture', { 'x-api-key': limited.key }), request);
    if (reserved.kind !== 'allowed') throw new Error(`expected allowed, got ${reserved.kind}`);
    reportUsage(request, 1);
    reserved.finish();
    // The settle runs after the response: two captures and the settle are the key's, in its counter.
    const eventsOfKey = async () =>
      (await tollgate.usageByKey(customerId)).keys.find((row) => row.keyId === limited.record.id)?.events;
    await expect.poll(eventsOfKey).toBe(3);
    const refused = await reserving(facts('/capture', { 'x-api-key': limited.key }), {});
    expect(refused.kind === 'denied' && refused.body).toMatchObject({
      scope: 'key',
      key_usage: { credits_used: 3 },
    });
  });
});
