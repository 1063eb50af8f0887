/**
 * Fuzzing every route with fast-check: malformed JSON, wrong types, huge, negative and fractional
 * numbers, unknown fields, long strings, odd query strings and bad headers (keys, content types).
 * Whatever arrives, the service never answers 5xx, every error is the documented envelope with a
 * registry code and that code's status, and a refused request leaves the store exactly as it was.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testCatalog } from '../../test/support/test-catalog.js';
import { errorRegistry } from '../core/errors.js';
import { documentedRoutesOf } from './create-server.js';
import { errorEnvelopeSchema } from './openapi.js';
import { openTestServer, type TestServer } from './testing/open-test-server.js';

/** Everything a request can change, read straight from the store (key last-use times excepted). */
async function storeSnapshot(server: TestServer): Promise<string> {
  await server.tollgate.flush();
  const { customers } = await server.store.listCustomers({ limit: 10_000 });
  const rows = await Promise.all(
    customers.map(async (customer) => {
      const period = server.tollgate.access(customer).period.start;
      return {
        customer,
        usage: await server.store.getPeriodUsage(customer.id, period),
        events: await server.store.sumUsageEvents(customer.id, period),
        keys: (await server.store.listApiKeys(customer.id)).map(({ lastUsedAt: _lastUsed, ...key }) => key),
      };
    }),
  );
  return JSON.stringify(rows);
}

const hugeNumbers = fc.constantFrom(
  1e9 + 1,
  2 ** 53,
  1e308,
  -1,
  -(2 ** 53),
  0,
  0.5,
  -0.0001,
  Number.MAX_SAFE_INTEGER,
  Number.MIN_SAFE_INTEGER,
);
const longString = fc.string({ minLength: 256, maxLength: 5000 });
const wrongValue = fc.oneof(
  hugeNumbers,
  longString,
  fc.constant(null),
  fc.boolean(),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 3 }),
  fc.string({ maxLength: 3 }).map((text) => `${text}\u0000`),
);
const fieldNames = fc.constantFrom(
  'operation',
  'quantity',
  'idempotency_key',
  'timestamp',
  'events',
  'bytes',
  'items',
  'email',
  'plan',
  'external_id',
  'name',
  'metadata',
  'key_name',
  'reason',
  'customer_id',
  '__proto__',
  'constructor',
);
/** Values no field of any route accepts (every string field is shorter, every count a safe integer). */
const alwaysWrong = fc.oneof(
  fc.constantFrom(2 ** 53, 1e308, -1, -(2 ** 53), 0.5, -0.0001, true, false, null),
  fc.string({ minLength: 600, maxLength: 3000 }),
  fc.array(fc.integer(), { minLength: 1, maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { minKeys: 1, maxKeys: 3 }),
);
/** A body that looks right but has at least one field no route accepts: wrong value or unknown name. */
const wrongObject = (values: fc.Arbitrary<unknown>) =>
  fc
    .tuple(
      fc.dictionary(fieldNames, fc.oneof(fc.constantFrom('capture', 'search', 1, 'free'), values), {
        maxKeys: 4,
      }),
      fieldNames,
      values,
    )
    .map(([base, field, value]) => ({ ...base, [field]: value }));
const unknownFields = fc
  .tuple(fc.string({ minLength: 1, maxLength: 20 }), fc.jsonValue({ maxDepth: 2 }))
  .filter(
    ([name]) => !/^(operation|quantity|idempotency_key|timestamp|bytes|items|name|reason|email)$/.test(name),
  )
  .map(([name, value]) => ({ operation: 'capture', [`x_${name}`]: value }));
const batch = fc
  .array(fc.oneof(wrongObject(wrongValue), fc.jsonValue({ maxDepth: 2 })), { minLength: 0, maxLength: 5 })
  .map((events) => ({
    events: events.length === 0 ? [] : events,
    [events.length > 2 ? 'extra' : 'events']: events,
  }));
const payload = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.constantFrom('{', '{"operation":', '[1,2', '{"a":1}}', 'nul', '{"__proto__":{"x":1}}', '\u0000'),
  fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)),
  wrongObject(wrongValue).map((value) => JSON.stringify(value)),
  unknownFields.map((value) => JSON.stringify(value)),
  batch.map((value) => JSON.stringify(value)),
  longString.map((text) => JSON.stringify({ operation: text, idempotency_key: text, name: text })),
);
const contentType = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('application/json', 'application/json; charset=utf-8') },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      null,
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/jsonp',
      'multipart/form-data',
      'application/json; charset=latin1',
      '*/*',
      '',
    ),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 80 }) },
);
const query = fc.oneof(
  { weight: 3, arbitrary: fc.constant(null) },
  fc.oneof(
    fc
      .tuple(
        fc.constantFrom('limit', 'starting_after', 'plan', 'status', 'search', 'foo'),
        fc.string({ maxLength: 300 }),
      )
      .map(([name, value]) => `${name}=${encodeURIComponent(value)}`),
    fc.constantFrom('limit=-1', 'limit=1e400', 'limit=100&limit=1', 'status=', '%zz', 'a[b]=1', 'limit=0x10'),
  ),
);

describe('fuzzing every route', () => {
  let server: TestServer;
  let customerKey: string;
  let badKeys: Array<string | undefined>;
  let customerId: string;

  beforeAll(async () => {
    server = await openTestServer({ catalog: testCatalog(), demoRoutes: true });
    const customer = await server.newCustomer({ plan: 'free' });
    customerId = customer.id;
    await server.call('POST', '/api/v1/usage/record', { key: customer.key, body: { operation: 'capture' } });
    const revoked = await server.tollgate.issueApiKey(customer.id);
    await server.tollgate.revokeApiKey(revoked.record.id);
    customerKey = customer.key;
    badKeys = [undefined, revoked.key, 'tg_live_forged', '', `Bearer ${customer.key}`];
  });

  afterAll(async () => {
    await server.close();
  });

  it('never answers 5xx, always the envelope, and a refused request changes nothing', async () => {
    const routes = documentedRoutesOf(server.app);
    const request = fc.record({
      route: fc.constantFrom(...routes),
      // Mostly the right kind of key, so most requests get past authentication to the parsing.
      key: fc.oneof(
        { weight: 6, arbitrary: fc.constant('right') },
        { weight: 1, arbitrary: fc.constant('wrong') },
        { weight: 1, arbitrary: fc.constantFrom(...badKeys) },
        { weight: 1, arbitrary: fc.string({ maxLength: 300 }) },
      ),
      bearer: fc.boolean(),
      contentType,
      payload: fc.option(payload),
      query,
      id: fc.oneof(fc.constant('own'), fc.string({ minLength: 1, maxLength: 120 })),
    });

    await fc.assert(
      fc.asyncProperty(request, async (input) => {
        const id = input.id === 'own' ? customerId : encodeURIComponent(input.id);
        const url = `${input.route.url.replace(':id', id)}${input.query === null ? '' : `?${input.query}`}`;
        const admin = input.route.access === 'admin';
        const key =
          input.key === 'right'
            ? admin
              ? server.adminKey
              : customerKey
            : input.key === 'wrong'
              ? admin
                ? customerKey
                : server.adminKey
              : input.key;
        const headers: Record<string, string> = {};
        if (key !== undefined) {
          if (input.bearer) headers.authorization = `Bearer ${key}`;
          else headers['x-api-key'] = key;
        }
        if (input.contentType !== null) headers['content-type'] = input.contentType;
        const before = await storeSnapshot(server);
        const response = await server.app.inject({
          method: input.route.method,
          url,
          headers,
          ...(input.payload !== null && input.route.method !== 'GET' ? { payload: input.payload } : {}),
        });
        const context = `${input.route.method} ${url} -> ${response.statusCode} ${response.body.slice(0, 300)}`;
        expect(response.statusCode, context).toBeLessThan(500);
        if (response.statusCode < 400) return;

        const body = errorEnvelopeSchema.safeParse(response.json());
        expect(body.success, context).toBe(true);
        const code = body.data?.error ?? 'internal';
        expect(errorRegistry[code].status, context).toBe(response.statusCode);
        if (code === 'invalid_request') expect(body.data?.issues?.length, context).toBeGreaterThan(0);
        expect(await storeSnapshot(server), context).toBe(before);
      }),
      { numRuns: 600 },
    );
  });

  it('refuses every malformed body of the write routes with 400 and writes nothing', async () => {
    const writeRoutes = [
      '/api/v1/usage/check',
      '/api/v1/usage/record',
      '/api/v1/usage/storage',
      '/api/v1/admin/customers',
      '/api/v1/admin/customers/:id/keys',
      '/api/v1/admin/customers/:id/reactivate',
    ];
    const malformed = fc.oneof(
      fc.constantFrom('{', '{"operation":', 'undefined', '{"a":1}}', "{'a':1}", '{"operation":"capture",}'),
      wrongObject(alwaysWrong).map((value) => JSON.stringify(value)),
      unknownFields.map((value) => JSON.stringify(value)),
      fc
        .oneof(fc.integer(), fc.string(), fc.constant(null), fc.array(fc.integer()))
        .map((v) => JSON.stringify(v)),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...writeRoutes), malformed, async (route, body) => {
        const key = route.includes('admin') ? server.adminKey : customerKey;
        const before = await storeSnapshot(server);
        const response = await server.app.inject({
          method: 'POST',
          url: route.replace(':id', customerId),
          headers: { 'x-api-key': key, 'content-type': 'application/json' },
          payload: body,
        });
        const context = `${route} ${body.slice(0, 200)} -> ${response.statusCode} ${response.body.slice(0, 300)}`;
        // A batch answers 200 with a result per event; each malformed event must be refused.
        if (response.statusCode === 200 && route.endsWith('/record') && 'events' in JSON.parse(body)) {
          expect(response.json().summary.recorded, context).toBe(0);
          return;
        }
        expect(response.statusCode, context).toBe(400);
        expect(errorEnvelopeSchema.safeParse(response.json()).success, context).toBe(true);
        expect(await storeSnapshot(server), context).toBe(before);
      }),
      { numRuns: 400 },
    );
  });
});
