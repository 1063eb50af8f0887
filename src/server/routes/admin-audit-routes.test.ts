/**
 * The admin console's additions on SQLite and PostgreSQL: a customer's audit trail (reactivation, key
 * issue and revocation write rows, listed newest first page by page, beside the pino line) and the
 * customer list newest first.
 */
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { backends } from '../../../test/support/backends.js';
import { testCatalog } from '../../../test/support/test-catalog.js';
import { hashApiKey } from '../../core/api-keys.js';
import { DAY_MS } from '../../core/periods.js';
import { openTestServer, type TestServer } from '../testing/open-test-server.js';

describe.each(backends)('admin audit trail and customer order (%s)', (_name, open) => {
  let backend: Awaited<ReturnType<typeof open>>;
  let server: TestServer;
  let logLines: Array<Record<string, unknown>>;

  beforeAll(async () => {
    backend = await open();
  });
  afterAll(async () => {
    await backend?.cleanup();
  });
  beforeEach(async () => {
    logLines = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => logLines.push(JSON.parse(line)) });
    server = await openTestServer({ catalog: testCatalog(), store: backend.store, loggerInstance: logger });
  });
  afterEach(async () => {
    await server.close();
  });

  const admin = (method: string, url: string, body?: unknown) =>
    server.call(method, url, { key: server.adminKey, ...(body !== undefined ? { body } : {}) });

  it('audits key issue, key revocation and reactivation, listed newest first page by page', async () => {
    const { id } = await server.newCustomer({ plan: 'pro' });
    const adminKeyId = (await server.store.findApiKeyByHash(hashApiKey(server.adminKey)))?.id;

    const issued = (await admin('POST', `/api/v1/admin/customers/${id}/keys`, { name: 'ci' })).json();
    server.clock.advance(1000);
    expect((await admin('DELETE', `/api/v1/admin/keys/${issued.id}`)).statusCode).toBe(200);
    server.clock.advance(1000);
    await server.tollgate.updateCustomer(id, {
      status: 'past_due',
      paymentFailedAt: server.clock.now() - 5 * DAY_MS,
    });
    expect(
      (await admin('POST', `/api/v1/admin/customers/${id}/reactivate`, { reason: 'paid by wire' }))
        .statusCode,
    ).toBe(200);

    const first = await admin('GET', `/api/v1/admin/customers/${id}/events?limit=2`);
    expect(first.statusCode).toBe(200);
    const page = first.json();
    expect(page.has_more).toBe(true);
    expect(page.data).toEqual([
      {
        id: expect.any(String),
        at: new Date(server.clock.now()).toISOString(),
        actor: `admin:${adminKeyId}`,
        action: 'customer.reactivated',
        details: { previousStatus: 'suspended', paymentFailedAt: expect.any(Number), reason: 'paid by wire' },
      },
      {
        id: expect.any(String),
        at: new Date(server.clock.now() - 1000).toISOString(),
        actor: `admin:${adminKeyId}`,
        action: 'api_key.revoked',
        details: { keyId: issued.id, prefix: issued.prefix, name: 'ci' },
      },
    ]);
    const rest = (
      await admin('GET', `/api/v1/admin/customers/${id}/events?limit=2&starting_after=${page.data[1].id}`)
    ).json();
    expect(rest.has_more).toBe(false);
    expect(rest.data).toEqual([
      expect.objectContaining({
        action: 'api_key.issued',
        details: { keyId: issued.id, prefix: issued.prefix, name: 'ci' },
      }),
    ]);
    // The pino audit lines are kept.
    expect(logLines.map((line) => line.audit).filter(Boolean)).toEqual([
      'api_key.issued',
      'api_key.revoked',
      'customer.reactivated',
    ]);

    expect((await admin('GET', '/api/v1/admin/customers/cus_missing/events')).statusCode).toBe(404);
    expect((await admin('GET', `/api/v1/admin/customers/${id}/events?limit=0`)).statusCode).toBe(400);
  });

  it('lists customers newest first with sort=-id, page by page', async () => {
    // A name of this test only: the backend is shared by the suite.
    const term = `order${Date.now()}`;
    const ids: string[] = [];
    for (let index = 0; index < 3; index++)
      ids.push((await server.newCustomer({ name: `${term} ${index}` })).id);
    const newest = [...ids].sort().reverse();
    const first = (await admin('GET', `/api/v1/admin/customers?search=${term}&sort=-id&limit=2`)).json();
    expect(first.data.map((customer: { id: string }) => customer.id)).toEqual(newest.slice(0, 2));
    const rest = (
      await admin(
        'GET',
        `/api/v1/admin/customers?search=${term}&sort=-id&limit=2&starting_after=${first.next_starting_after}`,
      )
    ).json();
    expect(rest.data.map((customer: { id: string }) => customer.id)).toEqual(newest.slice(2));
    expect((await admin('GET', '/api/v1/admin/customers?sort=usage')).statusCode).toBe(400);
  });
});
