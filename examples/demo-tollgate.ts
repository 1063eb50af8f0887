/**
 * What the three examples share and is not about a framework: Tollgate on SQLite with the demo catalog,
 * one demo customer on the free plan and its API key, and the start-up banner.
 */
import { pathToFileURL } from 'node:url';
import {
  createMemoryCounters,
  createSqliteStore,
  createTollgate,
  demoCatalog,
  type Tollgate,
} from 'tollgate';

export interface DemoTollgate {
  tollgate: Tollgate;
  /** A fresh key of the demo customer (free plan), shown once. */
  apiKey: string;
  close(): Promise<void>;
}

export interface DemoOptions {
  /** SQLite file; default in memory, so every start is a clean demo. */
  filename?: string;
}

/**
 * Opens the engine the examples gate with.
 * @example
 * const { tollgate, apiKey } = await openDemoTollgate({ filename: 'demo.db' });
 */
export async function openDemoTollgate(options: DemoOptions = {}): Promise<DemoTollgate> {
  const store = createSqliteStore({ filename: options.filename ?? ':memory:' });
  await store.migrate();
  const counters = createMemoryCounters();
  const tollgate = createTollgate({ catalog: demoCatalog(), store, counters });
  const customer =
    (await tollgate.store.getCustomerByExternalId('demo-user')) ??
    (await tollgate.createCustomer({ externalId: 'demo-user', name: 'Demo customer' }));
  const { key } = await tollgate.issueApiKey(customer.id, 'example');
  return {
    tollgate,
    apiKey: key,
    async close() {
      await tollgate.close();
      await counters.close();
      await store.close();
    },
  };
}

/** True when the module at `moduleUrl` is the script node (or tsx) was started with. */
export function isMain(moduleUrl: string): boolean {
  const script = process.argv[1];
  return script !== undefined && moduleUrl === pathToFileURL(script).href;
}

/** What to print at start: the key and a few requests to try. */
export function demoBanner(framework: string, baseUrl: string, apiKey: string): string {
  return [
    `Tollgate ${framework} example at ${baseUrl}`,
    `  demo key (free plan): ${apiKey}`,
    '',
    '  # metered: each search costs 0.1 credit',
    `  curl -i -X POST ${baseUrl}/api/v1/search -H 'X-API-Key: ${apiKey}'`,
    '  # feature-gated: 403 on the free plan',
    `  curl -i ${baseUrl}/api/v1/federation -H 'X-API-Key: ${apiKey}'`,
    '  # exempt: no key needed',
    `  curl -i ${baseUrl}/health`,
    '',
  ].join('\n');
}
