/**
 * A real service for route tests: the engine on a real store (SQLite in memory unless one is given),
 * memory counters and a manual clock, an admin key, and a helper to make customers with keys. Tests
 * talk to it through Fastify's `inject`, so no socket is opened.
 */
import type { FastifyBaseLogger, FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { Catalog } from '../../core/catalog/catalog.js';
import { ManualClock } from '../../core/clock.js';
import type { Store } from '../../core/ports.js';
import { createTollgate, type NewCustomerInput, type Tollgate } from '../../core/tollgate.js';
import { createMemoryCounters } from '../../counters/memory-counters.js';
import { createSqliteStore } from '../../store/sqlite-store.js';
import type { BillingService } from '../../stripe/billing/billing-service.js';
import { createServer, type ServerOptions } from '../create-server.js';

export interface TestServerOptions {
  catalog: Catalog;
  /** A migrated store to use (closed by the caller); default a fresh SQLite store in memory. */
  store?: Store;
  loggerInstance?: FastifyBaseLogger;
  demoRoutes?: boolean;
  commitConcurrency?: number;
  /** Serve the billing routes with the service this builds on the test engine. */
  billing?: (tollgate: Tollgate) => Promise<BillingService>;
  /** Dashboard link settings passed to the server. */
  server?: Pick<ServerOptions, 'publicUrl' | 'dashboardSessions'>;
}

export interface InjectOptions {
  key?: string;
  body?: unknown;
  /** A raw payload sent as is (malformed JSON and the like). */
  payload?: string;
  headers?: Record<string, string>;
}

export interface TestServer {
  app: FastifyInstance;
  tollgate: Tollgate;
  store: Store;
  clock: ManualClock;
  adminKey: string;
  newCustomer(input?: NewCustomerInput): Promise<{ id: string; key: string }>;
  call(method: string, url: string, options?: InjectOptions): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export async function openTestServer(options: TestServerOptions): Promise<TestServer> {
  const ownStore = options.store === undefined;
  const store = options.store ?? createSqliteStore({ filename: ':memory:' });
  if (ownStore) await store.migrate();
  const clock = new ManualClock(Date.UTC(2026, 0, 15, 12));
  const counters = createMemoryCounters();
  const tollgate = createTollgate({
    catalog: options.catalog,
    store,
    counters,
    clock,
    ...(options.commitConcurrency !== undefined ? { commitConcurrency: options.commitConcurrency } : {}),
  });
  const billing = options.billing ? await options.billing(tollgate) : undefined;
  const app = createServer({
    tollgate,
    ...(billing ? { billing } : {}),
    demoRoutes: options.demoRoutes ?? false,
    ...options.server,
    ...(options.loggerInstance ? { loggerInstance: options.loggerInstance } : {}),
  });
  const adminKey = (await tollgate.issueApiKey(null, 'test admin')).key;

  return {
    app,
    tollgate,
    store,
    clock,
    adminKey,
    async newCustomer(input = {}) {
      const customer = await tollgate.createCustomer(input);
      return { id: customer.id, key: (await tollgate.issueApiKey(customer.id)).key };
    },
    call(method, url, { key, body, payload, headers = {} } = {}) {
      const allHeaders: Record<string, string> = { ...headers };
      if (key !== undefined) allHeaders['x-api-key'] = key;
      if (body !== undefined) allHeaders['content-type'] ??= 'application/json';
      return app.inject({
        method: method as 'GET',
        url,
        headers: allHeaders,
        ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
        ...(payload !== undefined ? { payload } : {}),
      });
    },
    async close() {
      await app.close();
      await tollgate.close();
      await counters.close();
      if (ownStore) await store.close();
    },
  };
}
