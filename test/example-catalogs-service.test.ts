/**
 * Each example catalog served over HTTP, on SQLite and PostgreSQL: customers hit each catalog's
 * characteristic limit with concurrent `POST /api/v1/usage/record` calls and exactly the limit is
 * admitted; the usage answer shows the window full, and a per-day limit opens again the next day.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadCatalogFile } from '../src/core/catalog/load-catalog-file.js';
import { openTestServer, type TestServer } from '../src/server/testing/open-test-server.js';
import { type Backend, backends } from './support/backends.js';

const directory = new URL('../examples/catalogs/', import.meta.url);

interface LimitCase {
  catalog: string;
  plan: string;
  operation: string;
  quantity: number;
  requests: number;
  admitted: number;
  /** Where the usage answer shows the window full. */
  window: 'minute' | 'day' | 'month' | 'credits';
}

const cases: LimitCase[] = [
  {
    catalog: 'memory-api.yaml',
    plan: 'free',
    operation: 'ingest',
    quantity: 1,
    requests: 150,
    admitted: 100,
    window: 'credits',
  },
  {
    catalog: 'memory-cloud.yaml',
    plan: 'free',
    operation: 'api_call',
    quantity: 1,
    requests: 40,
    admitted: 10,
    window: 'minute',
  },
  {
    catalog: 'ai-automation.yaml',
    plan: 'basic',
    operation: 'scraping_task',
    quantity: 1,
    requests: 150,
    admitted: 100,
    window: 'month',
  },
  {
    catalog: 'video-platform.yaml',
    plan: 'free',
    operation: 'match',
    quantity: 1,
    requests: 30,
    admitted: 5,
    window: 'day',
  },
  // 1,000 included plus 500 of overage (the $25 cap at $0.05 each), in tens.
  {
    catalog: 'agent-marketplace.yaml',
    plan: 'pro',
    operation: 'execution',
    quantity: 10,
    requests: 200,
    admitted: 150,
    window: 'month',
  },
];

describe.each(backends)('example catalogs served on %s', (_name, open) => {
  let backend: Backend;
  let server: TestServer | undefined;

  beforeEach(async () => {
    backend = await open();
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
    await backend.cleanup();
  });

  it.each(cases)(
    '$catalog: $plan admits exactly its $operation limit of concurrent records',
    async (limit) => {
      server = await openTestServer({
        catalog: loadCatalogFile(new URL(limit.catalog, directory)),
        store: backend.store,
        commitConcurrency: backend.name === 'postgres' ? 4 : 1,
      });
      const active = server;
      const customer = await active.newCustomer({ plan: limit.plan });
      const responses = await Promise.all(
        Array.from({ length: limit.requests }, () =>
          active.call('POST', '/api/v1/usage/record', {
            key: customer.key,
            body: { operation: limit.operation, quantity: limit.quantity },
          }),
        ),
      );
      const statuses = responses.map((response) => response.statusCode);
      expect(statuses.filter((status) => status === 200)).toHaveLength(limit.admitted);
      expect(statuses.filter((status) => status === 429)).toHaveLength(limit.requests - limit.admitted);

      const usage = (await active.call('GET', '/api/v1/usage', { key: customer.key })).json();
      const used = limit.admitted * limit.quantity;
      if (limit.window === 'credits') {
        expect(usage).toMatchObject({ quota_remaining: 0, quota_exceeded: true });
        expect(usage.operations[limit.operation].month.used).toBe(used);
      } else {
        expect(usage.operations[limit.operation][limit.window]).toMatchObject({ used, remaining: 0 });
      }

      if (limit.window === 'day') {
        active.clock.advance(86_400_000);
        const tomorrow = await active.call('POST', '/api/v1/usage/record', {
          key: customer.key,
          body: { operation: limit.operation },
        });
        expect(tomorrow.statusCode).toBe(200);
      }
    },
  );
});
