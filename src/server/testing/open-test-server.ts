/**
 * A real service for route tests: the engine on a real store (SQLite in memory unless one is given),
 * memory counters and a manual clock, an admin key, and a helper to make customers with keys. Tests
 * talk to it through Fastify's `inject`, so no socket is opened.
 */
import type { FastifyBaseLogger, FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { Catalog } from '../../core/catalog/catalog.js';
import type { ManualClock } from '../../core/clock.js';
import type { Store } from '../../core/ports.js';
import type { NewCustomerInput, Tollgate } from '../../core/tollgate.js';
import type { BillingService } from '../../stripe/billing/billing-service.js';
import { openTestTollgate } from '../../testing/open-test-tollgate.js';
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
  const engine = await openTestTollgate({
    catalog: options.catalog,
    ...(options.store ? { store: options.store } : {}),
    ...(options.commitConcurrency !== undefined ? { commitConcurrency: options.commitConcurrency } : {}),
  });
  const { tollgate, store, clock, newCustomer } = engine;
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
    newCustomer,
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
      await engine.close();
    },
  };
}
