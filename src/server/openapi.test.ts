/**
 * The OpenAPI document is valid OpenAPI 3.1, lists every route Fastify serves (and no other), and
 * tells the truth: one successful call per documented route answers the documented status and a
 * body its response schema accepts, and every error body in the suite fits the envelope. `/docs`
 * renders every route without loading anything from elsewhere.
 */
import { readFileSync } from 'node:fs';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoCatalog } from '../core/catalog/demo-catalog.js';
import { DAY_MS } from '../core/periods.js';
import { documentedRoutesOf, routesOf } from './create-server.js';
import { errorEnvelopeSchema, type OpenApiDocument, openApiPath } from './openapi.js';
import { openTestServer, type TestServer } from './testing/open-test-server.js';

describe('OpenAPI document', () => {
  let server: TestServer;
  let document: OpenApiDocument;

  beforeAll(async () => {
    server = await openTestServer({ catalog: demoCatalog(), demoRoutes: true });
    const response = await server.call('GET', '/openapi.json');
    expect(response.statusCode).toBe(200);
    document = response.json();
  });

  afterAll(async () => {
    await server.close();
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    const result = await new Validator().validate(structuredClone(document) as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(document.openapi).toBe('3.1.0');
  });

  it('lists exactly the routes Fastify serves', () => {
    const served = routesOf(server.app)
      .filter((route) => route.method !== 'HEAD')
      .map((route) => `${route.method.toLowerCase()} ${openApiPath(route.url)}`)
      .sort();
    const documented = Object.entries(document.paths)
      .flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method} ${path}`))
      .sort();
    expect(documented).toEqual(served);
    expect(served).toEqual(
      expect.arrayContaining(['post /api/v1/usage/record', 'get /api/v1/admin/customers/{id}']),
    );
  });

  it('documents the error envelope and the errors each route can answer', () => {
    const record = document.paths['/api/v1/usage/record']?.post;
    expect(Object.keys(record?.responses ?? {}).sort()).toEqual([
      '200',
      '400',
      '401',
      '403',
      '409',
      '413',
      '429',
      '503',
    ]);
    expect(record?.responses['429']?.headers).toHaveProperty('Retry-After');
    expect(record?.responses['200']?.headers).toHaveProperty('X-Credits-Remaining');
    const plans = document.paths['/api/v1/plans']?.get;
    expect(plans?.security).toEqual([]);
    expect(Object.keys(plans?.responses ?? {})).toEqual(['200', '400']);
    const schemas = document.components.schemas as Record<string, { properties: Record<string, unknown> }>;
    expect(Object.keys(schemas.Error?.properties ?? {})).toEqual(
      expect.arrayContaining(['error', 'message', 'issues', 'upgrade_url', 'retry_after']),
    );
  });

  it('describes request bodies as closed objects with bounds', () => {
    const check = document.paths['/api/v1/usage/check']?.post?.requestBody as {
      content: { 'application/json': { schema: Record<string, unknown> } };
    };
    const schema = check.content['application/json'].schema;
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(['operation']);
    expect((schema.properties as Record<string, unknown>).quantity).toMatchObject({
      minimum: 1,
      maximum: 1_000_000_000,
    });
    const list = document.paths['/api/v1/admin/customers']?.get;
    expect(list?.parameters.find((parameter) => parameter.name === 'limit')).toMatchObject({
      in: 'query',
      required: false,
      schema: { maximum: 100 },
    });
  });

  it('answers every documented route as documented', async () => {
    const customer = await server.newCustomer({ plan: 'pro' });
    const suspended = await server.newCustomer({ plan: 'free' });
    await server.tollgate.updateCustomer(suspended.id, {
      status: 'past_due',
      paymentFailedAt: server.clock.now() - 5 * DAY_MS,
    });
    const spare = await server.tollgate.issueApiKey(customer.id);
    const asCustomer = { key: customer.key };
    const asAdmin = { key: server.adminKey };
    const link = await server.call('POST', '/api/v1/billing/dashboard-link', asCustomer);
    const linkToken = new URL(link.json().url).searchParams.get('token');
    const reserve = () => server.tollgate.reserve(customer.id, { operation: 'search', quantity: 1 });
    const [toSettle, toRelease] = await Promise.all([reserve(), reserve()]);
    const bonus = await server.tollgate.grant(customer.id, {
      amount: 5000,
      expires: 'period',
      idempotencyKey: 'doc-bonus',
    });
    // One successful call per route; the table must cover them all.
    const calls: Record<string, { key?: string; body?: unknown; url?: string }> = {
      'GET /health': {},
      'GET /ready': {},
      'GET /openapi.json': {},
      'GET /docs': {},
      'GET /metrics': {},
      'GET /api/v1/plans': {},
      'GET /api/v1/usage': asCustomer,
      'GET /api/v1/entitlements': asCustomer,
      'GET /api/v1/usage/history': { ...asCustomer, url: '/api/v1/usage/history?bucket=hour' },
      'GET /api/v1/usage/events': { ...asCustomer, url: '/api/v1/usage/events?limit=5' },
      'POST /api/v1/billing/dashboard-link': {
        ...asCustomer,
        body: { embed: true, theme: { accent: '#abc' } },
      },
      'POST /api/v1/billing/dashboard-session': { body: { token: linkToken } },
      'GET /api/v1/admin/customers/:id/events': {
        ...asAdmin,
        url: `/api/v1/admin/customers/${customer.id}/events?limit=5`,
      },
      'POST /api/v1/usage/check': { ...asCustomer, body: { operation: 'search', quantity: 2 } },
      'POST /api/v1/usage/record': { ...asCustomer, body: { operation: 'search', idempotency_key: 'doc' } },
      'POST /api/v1/usage/storage': { ...asCustomer, body: { bytes: 1, items: 1 } },
      'POST /api/v1/usage/reserve': { ...asCustomer, body: { operation: 'search', quantity: 3 } },
      'POST /api/v1/usage/reservations/:id/settle': {
        ...asCustomer,
        url: `/api/v1/usage/reservations/${toSettle.reservation?.id}/settle`,
        body: { quantity: 2 },
      },
      'POST /api/v1/usage/reservations/:id/release': {
        ...asCustomer,
        url: `/api/v1/usage/reservations/${toRelease.reservation?.id}/release`,
        body: {},
      },
      'POST /api/v1/admin/customers': { ...asAdmin, body: { email: 'new@example.com' } },
      'GET /api/v1/admin/customers': asAdmin,
      'GET /api/v1/admin/customers/:id': { ...asAdmin, url: `/api/v1/admin/customers/${customer.id}` },
      'POST /api/v1/admin/customers/:id/keys': {
        ...asAdmin,
        url: `/api/v1/admin/customers/${customer.id}/keys`,
        body: { name: 'ci', owner: 'ana@example.com', limits: { credits: 30, requests_per_day: 500 } },
      },
      'PATCH /api/v1/admin/keys/:id': {
        ...asAdmin,
        url: `/api/v1/admin/keys/${spare.record.id}`,
        body: { owner: 'bo@example.com', limits: { requests_per_minute: 5 } },
      },
      'GET /api/v1/admin/customers/:id/usage/keys': {
        ...asAdmin,
        url: `/api/v1/admin/customers/${customer.id}/usage/keys`,
      },
      'DELETE /api/v1/admin/keys/:id': { ...asAdmin, url: `/api/v1/admin/keys/${spare.record.id}` },
      'GET /api/v1/admin/customers/:id/overrides': {
        ...asAdmin,
        url: `/api/v1/admin/customers/${customer.id}/overrides`,
      },
      'PUT /api/v1/admin/customers/:id/overrides': {
        ...asAdmin,
        url: `/api/v1/admin/customers/${customer.id}/overrides`,
        body: {
          limits: { credits: 500, operations: { search: { day: 50 } } },
          features: { federation: false },
        },
      },
      'DELETE /api/v1/admin/customers/:id/overrides/:key': {
        ...asAdmin,
        url: `/api/v1/admin/customers/${customer.id}/overrides/features.federation`,
      },
      'DELETE /api/v1/admin/customers/:id/overrides': {
        ...asAdmin,
        url: `/api/v1/admin/customers/${customer.id}/overrides?reason=ended`,
      },
      'POST /api/v1/admin/customers/:id/reactivate': {
        ...asAdmin,
        url: `/api/v1/admin/customers/${suspended.id}/reactivate`,
      },
      'POST /api/v1/admin/customers/:id/grants': {
        ...asAdmin,
        url: `/api/v1/admin/customers/${customer.id}/grants`,
        body: { credits: 12.5, expires: 'until_used', idempotency_key: 'doc-grant', reason: 'docs' },
      },
      'GET /api/v1/admin/customers/:id/grants': {
        ...asAdmin,
        url: `/api/v1/admin/customers/${customer.id}/grants`,
      },
      'DELETE /api/v1/admin/customers/:id/grants/:grantId': {
        ...asAdmin,
        url: `/api/v1/admin/customers/${customer.id}/grants/${bonus.standing.grant.id}`,
      },
      'POST /api/v1/capture': asCustomer,
      'POST /api/v1/search': asCustomer,
      'POST /api/v1/reflect': asCustomer,
      'GET /api/v1/federation': asCustomer,
      'POST /api/v1/federation': asCustomer,
      'GET /api/v1/semantic_search': asCustomer,
      'POST /api/v1/semantic_search': asCustomer,
      'GET /api/v1/realtime_sync': asCustomer,
      'POST /api/v1/realtime_sync': asCustomer,
    };
    const routes = documentedRoutesOf(server.app);
    expect(Object.keys(calls).sort()).toEqual(routes.map((route) => `${route.method} ${route.url}`).sort());

    for (const route of routes) {
      const call = calls[`${route.method} ${route.url}`] ?? {};
      const response = await server.call(route.method, call.url ?? route.url, call);
      expect(response.statusCode, `${route.method} ${route.url}: ${response.body.slice(0, 300)}`).toBe(
        route.status,
      );
      const body = route.contentType === 'application/json' ? response.json() : response.body;
      const parsed = route.response.safeParse(body);
      expect(parsed.error?.issues ?? [], `${route.method} ${route.url}`).toEqual([]);
    }
  });

  it('fits every error of the documented kinds in the envelope', async () => {
    const { key } = await server.newCustomer({ plan: 'free' });
    const errors = await Promise.all([
      server.call('GET', '/api/v1/usage'),
      server.call('GET', '/api/v1/usage', { key: server.adminKey }),
      server.call('POST', '/api/v1/usage/check', { key, body: { operation: 'nope' } }),
      server.call('GET', '/api/v1/admin/customers/cus_missing', { key: server.adminKey }),
      server.call('POST', '/api/v1/usage/record', { key, body: { operation: 'capture', quantity: 101 } }),
      server.call('GET', '/no/such/route'),
    ]);
    expect(errors.map((response) => response.statusCode)).toEqual([401, 403, 400, 404, 429, 404]);
    expect(errors[4]?.json()).toMatchObject({ error: 'quota_exceeded', upgrade_url: null });
    for (const response of errors) expect(errorEnvelopeSchema.safeParse(response.json()).success).toBe(true);
  });

  it('is matched by docs/api.md, which names every route', () => {
    const guide = readFileSync(new URL('../../docs/api.md', import.meta.url), 'utf8');
    const missing = documentedRoutesOf(server.app)
      .map((route) => `${route.method} ${route.url}`)
      .filter((route) => !guide.includes(route));
    expect(missing).toEqual([]);
  });

  it('serves /docs as one self-contained page listing every route', async () => {
    const response = await server.call('GET', '/docs');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/html');
    for (const [path, methods] of Object.entries(document.paths)) {
      for (const method of Object.keys(methods)) {
        expect(response.body).toContain(`${method.toUpperCase()} ${path}`);
      }
    }
    expect(response.body).not.toMatch(/<script|<link|src="http|@import/);
  });
});
