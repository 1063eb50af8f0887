/**
 * examples/python/quota_guard.py (standard library only), run by the real interpreter against a real
 * service (SQLite file, demo catalog, a socket on port 0): it compares the credit figures as numbers,
 * reads the `usage` object of a 429 quota_exceeded, and the store holds exactly what it recorded.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoCatalog } from '../src/core/catalog/demo-catalog.js';
import { ManualClock } from '../src/core/clock.js';
import type { Store } from '../src/core/ports.js';
import { createTollgate, type Tollgate } from '../src/core/tollgate.js';
import { createMemoryCounters } from '../src/counters/memory-counters.js';
import { createServer } from '../src/server/create-server.js';
import { createSqliteStore } from '../src/store/sqlite-store.js';

const examples = new URL('../examples/python/', import.meta.url).pathname;
const START = Date.UTC(2026, 0, 15, 12);

function python(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'python3',
      args,
      { cwd: examples, env: { PATH: process.env.PATH ?? '', ...env } },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('examples/python', () => {
  let dir: string;
  let store: Store;
  let tollgate: Tollgate;
  let app: FastifyInstance;
  let url: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tollgate-python-'));
    store = createSqliteStore({ filename: join(dir, 'tollgate.db') });
    await store.migrate();
    const catalog = demoCatalog();
    catalog.upgradeUrl = 'https://example.test/upgrade';
    // A fixed clock: the period and the rate windows never turn over mid-test, whatever the date.
    tollgate = createTollgate({
      catalog,
      store,
      counters: createMemoryCounters(),
      clock: new ManualClock(START),
    });
    app = createServer({ tollgate });
    url = await app.listen({ port: 0, host: '127.0.0.1' });
  });

  afterAll(async () => {
    await app.close();
    await tollgate.close();
    await tollgate.counters.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function newCustomer(): Promise<{ id: string; key: string }> {
    const customer = await tollgate.createCustomer({ plan: 'free' });
    return { id: customer.id, key: (await tollgate.issueApiKey(customer.id)).key };
  }

  it('compares credit figures as numbers and reads the usage object of a 429 quota_exceeded', async () => {
    const customer = await newCustomer();
    // 0.3 credit spent first: 99.7 left is under the script's 100-credit warning line.
    await tollgate.consume(customer.id, { operation: 'search', quantity: 3, countRequest: false });
    const result = await python(['quota_guard.py'], {
      TOLLGATE_URL: url,
      TOLLGATE_API_KEY: customer.key,
      TOLLGATE_OPERATION: 'capture',
      TOLLGATE_QUANTITY: '40',
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split('\n')).toEqual([
      'low on credits: 99.7 of 100 left (0.3% used)',
      'recorded 2 x capture x40, then refused (429): Monthly quota exceeded. Used 80.3/100 credits. This request needs 40.',
      `customer ${customer.id} on free: 80.3 of 100 credits used (80.3%), 19.7 left`,
      'fewer credits left than one capture x40 needs: upgrade at https://example.test/upgrade',
    ]);
    const usage = await tollgate.usage(customer.id);
    expect(usage.used).toBe(80_300);
  });
});
