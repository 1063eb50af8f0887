/**
 * Dashboard links and billing sessions through the HTTP API, on SQLite and PostgreSQL: a link is
 * exchanged once and only before it expires, a session reaches only the routes declared for it and
 * ends with its expiry or its key, and the usage history adds up to the period's credits.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { backends } from '../../../test/support/backends.js';
import { testCatalog } from '../../../test/support/test-catalog.js';
import { hashApiKey } from '../../core/api-keys.js';
import { DAY_MS } from '../../core/periods.js';
import { documentedRoutesOf } from '../create-server.js';
import { errorEnvelopeSchema } from '../openapi.js';
import { openTestServer, type TestServer } from '../testing/open-test-server.js';

const MINUTE_MS = 60_000;

describe.each(backends)('dashboard links and billing sessions (%s)', (_name, open) => {
  let backend: Awaited<ReturnType<typeof open>>;
  let server: TestServer;
  let customer: { id: string; key: string };

  beforeAll(async () => {
    backend = await open();
  });
  afterAll(async () => {
    await backend?.cleanup();
  });
  beforeEach(async () => {
    server = await openTestServer({ catalog: testCatalog(), store: backend.store, demoRoutes: true });
    customer = await server.newCustomer({ plan: 'pro' });
  });
  afterEach(async () => {
    await server.close();
  });

  const askLink = (body: unknown = {}, key = customer.key) =>
    server.call('POST', '/api/v1/billing/dashboard-link', { key, body });
  const tokenOf = (url: string) => new URL(url).searchParams.get('token') ?? '';
  const exchange = (token: string) =>
    server.call('POST', '/api/v1/billing/dashboard-session', { body: { token } });
  async function openSession(key = customer.key): Promise<string> {
    const link = await askLink({}, key);
    return (await exchange(tokenOf(link.json().url))).json().session_token;
  }
  const withSession = (method: string, url: string, session: string, body?: unknown) =>
    server.call(method, url, {
      headers: { authorization: `Bearer ${session}` },
      ...(body === undefined ? {} : { body }),
    });
  const expectError = (response: { statusCode: number; json(): unknown }, status: number, code: string) => {
    expect(response.statusCode).toBe(status);
    expect(response.json()).toMatchObject({ error: code });
    expect(errorEnvelopeSchema.safeParse(response.json()).success).toBe(true);
  };

  it('answers a one-time link on the request origin, with embed and colours, alive for 10 minutes', async () => {
    const response = await askLink({
      return_url: 'https://app.example/settings',
      embed: true,
      theme: { accent: '#0af', background: '#ffffff' },
    });
    expect(response.statusCode).toBe(201);
    const { url, expires_at } = response.json();
    const link = new URL(url);
    expect(`${link.origin}${link.pathname}`).toBe('http://localhost/billing');
    expect(link.searchParams.get('token')).toMatch(/^tgl_[A-Za-z0-9_-]{43,}$/);
    expect(link.searchParams.get('embed')).toBe('1');
    expect(link.searchParams.get('accent')).toBe('#0af');
    expect(link.searchParams.get('background')).toBe('#ffffff');
    expect(link.searchParams.has('text')).toBe(false);
    expect(url).toContain('accent=%230af');
    expect(expires_at).toBe(new Date(server.clock.now() + 10 * MINUTE_MS).toISOString());
    // Only the hash is stored: the store finds the link by it.
    const token = link.searchParams.get('token') ?? '';
    expect((await server.store.consumeDashboardLink(hashApiKey(token), server.clock.now()))?.customerId).toBe(
      customer.id,
    );
  });

  it('refuses bad link requests with the envelope', async () => {
    for (const body of [
      { return_url: 'javascript:alert(1)' },
      { return_url: 'ftp://files.example' },
      { theme: { accent: 'red' } },
      { theme: { accent: '#12345' } },
      { theme: { accent: '#abc', shadow: '#000' } },
      { embed: 'yes' },
      { customer_id: 'cus_other' },
    ]) {
      expectError(await askLink(body), 400, 'invalid_request');
    }
  });

  it('exchanges a link once for a session carrying its return URL and look', async () => {
    const link = await askLink({
      return_url: 'https://app.example/back',
      embed: true,
      theme: { text: '#123' },
    });
    const token = tokenOf(link.json().url);
    const session = await exchange(token);
    expect(session.statusCode).toBe(201);
    expect(session.json()).toEqual({
      session_token: expect.stringMatching(/^tgs_[A-Za-z0-9_-]{43,}$/),
      expires_at: new Date(server.clock.now() + 60 * MINUTE_MS).toISOString(),
      customer_id: customer.id,
      return_url: 'https://app.example/back',
      embed: true,
      theme: { text: '#123' },
    });

    const again = await exchange(token);
    expectError(again, 401, 'unauthorized');
    expect(again.json().message).toContain('Open billing again from the app');
    expectError(await exchange('tgl_unknown'), 401, 'unauthorized');
    expectError(await exchange(session.json().session_token), 401, 'unauthorized');
  });

  it('refuses a link after 10 minutes, and writes nothing on refusal', async () => {
    const link = await askLink({ embed: false });
    expect(new URL(link.json().url).searchParams.has('embed')).toBe(false);
    server.clock.advance(10 * MINUTE_MS);
    expectError(await exchange(tokenOf(link.json().url)), 401, 'unauthorized');
    // The refusal did not mark the link used: back in time, it still works once.
    server.clock.advance(-1);
    expect((await exchange(tokenOf(link.json().url))).statusCode).toBe(201);
  });

  it('uses PUBLIC_URL for the link when configured, and the configured lifetimes', async () => {
    await server.close();
    server = await openTestServer({
      catalog: testCatalog(),
      store: backend.store,
      server: {
        publicUrl: 'https://billing.example.com/',
        dashboardSessions: { linkTtlMs: 1000, sessionTtlMs: 5000 },
      },
    });
    customer = await server.newCustomer({ plan: 'pro' });
    const link = (await askLink()).json();
    expect(link.url).toMatch(/^https:\/\/billing\.example\.com\/billing\?token=tgl_/);
    expect(link.expires_at).toBe(new Date(server.clock.now() + 1000).toISOString());
    const session = (await exchange(tokenOf(link.url))).json();
    expect(session.expires_at).toBe(new Date(server.clock.now() + 5000).toISOString());
  });

  it("lets a session read the customer's usage and entitlements", async () => {
    const session = await openSession();
    const usage = await withSession('GET', '/api/v1/usage', session);
    expect(usage.statusCode).toBe(200);
    expect(usage.json().customer_id).toBe(customer.id);
    expect((await withSession('GET', '/api/v1/entitlements', session)).json().customer_id).toBe(customer.id);
    expect((await withSession('GET', '/api/v1/usage/history', session)).statusCode).toBe(200);
  });

  it('answers 403 to a session on every route not declared for sessions', async () => {
    const session = await openSession();
    const routes = documentedRoutesOf(server.app).filter(
      (route) => route.access !== 'public' && !route.sessions,
    );
    expect(routes.map((route) => route.url)).toEqual(
      expect.arrayContaining(['/api/v1/billing/dashboard-link', '/api/v1/usage/record', '/api/v1/capture']),
    );
    for (const route of routes) {
      const response = await withSession(route.method, route.url.replace(':id', customer.id), session);
      expect(response.statusCode, `${route.method} ${route.url}`).toBe(403);
      expect(response.json()).toEqual({
        error: 'forbidden',
        message: 'A billing session cannot call this endpoint.',
      });
    }
    const sessionRoutes = documentedRoutesOf(server.app).filter((route) => route.sessions);
    expect(sessionRoutes.map((route) => `${route.method} ${route.url}`).sort()).toEqual([
      'GET /api/v1/entitlements',
      'GET /api/v1/usage',
      'GET /api/v1/usage/history',
    ]);
  });

  it('ends a session at its expiry and when the key that opened it is revoked', async () => {
    const session = await openSession();
    server.clock.advance(60 * MINUTE_MS - 1);
    expect((await withSession('GET', '/api/v1/usage', session)).statusCode).toBe(200);
    server.clock.advance(1);
    const expired = await withSession('GET', '/api/v1/usage', session);
    expectError(expired, 401, 'unauthorized');
    expect(expired.json().message).toContain('Open billing again from the app');

    const spare = await server.tollgate.issueApiKey(customer.id);
    const another = await openSession(spare.key);
    expect((await withSession('GET', '/api/v1/usage', another)).statusCode).toBe(200);
    await server.call('DELETE', `/api/v1/admin/keys/${spare.record.id}`, { key: server.adminKey });
    expectError(await withSession('GET', '/api/v1/usage', another), 401, 'unauthorized');
    expectError(await withSession('GET', '/api/v1/usage', 'tgs_forged'), 401, 'unauthorized');
  });

  it('shows usage by day and by hour, every bucket present, adding up to credits_used', async () => {
    const record = (quantity: number) =>
      server.call('POST', '/api/v1/usage/record', {
        key: customer.key,
        body: { operation: 'search', quantity },
      });
    // The test clock starts on 2026-01-15 12:00 UTC; the period is January.
    await record(3);
    server.clock.advance(2 * 3_600_000);
    await record(5);
    server.clock.advance(DAY_MS);
    await record(1);

    const session = await openSession();
    const days = await withSession('GET', '/api/v1/usage/history', session);
    expect(days.statusCode).toBe(200);
    const history = days.json();
    expect(history).toMatchObject({
      period_start: '2026-01-01T00:00:00.000Z',
      period_end: '2026-02-01T00:00:00.000Z',
      bucket: 'day',
    });
    // Jan 1 to Jan 16 14:00: 16 day buckets, the last one open.
    expect(history.data).toHaveLength(16);
    expect(history.data[0]).toEqual({ start: '2026-01-01T00:00:00.000Z', credits: 0, events: 0 });
    expect(history.data[14]).toEqual({ start: '2026-01-15T00:00:00.000Z', credits: 0.8, events: 2 });
    expect(history.data[15]).toEqual({ start: '2026-01-16T00:00:00.000Z', credits: 0.1, events: 1 });

    const usage = (await server.call('GET', '/api/v1/usage', { key: customer.key })).json();
    const milli = (credits: string) => Math.round(Number(credits) * 1000);
    const sum = (data: Array<{ credits: string }>) =>
      data.reduce((total, bucket) => total + milli(bucket.credits), 0);
    expect(sum(history.data)).toBe(milli(usage.credits_used));

    const hours = (
      await server.call('GET', '/api/v1/usage/history?bucket=hour', { key: customer.key })
    ).json();
    expect(hours.bucket).toBe('hour');
    // Up to the bucket holding now (Jan 16 14:00), included.
    expect(hours.data).toHaveLength(15 * 24 + 15);
    expect(hours.data[14 * 24 + 12]).toEqual({
      start: '2026-01-15T12:00:00.000Z',
      credits: 0.3,
      events: 1,
    });
    expect(hours.data[14 * 24 + 14]).toEqual({
      start: '2026-01-15T14:00:00.000Z',
      credits: 0.5,
      events: 1,
    });
    expect(sum(hours.data)).toBe(milli(usage.credits_used));

    expectError(
      await server.call('GET', '/api/v1/usage/history?bucket=week', { key: customer.key }),
      400,
      'invalid_request',
    );
  });
});
