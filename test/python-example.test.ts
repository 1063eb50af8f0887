/**
 * The Python client in examples/python, run by the real interpreter against a real service (SQLite
 * file, demo catalog, a socket on port 0): the demo's output shows the figures the service answered,
 * the store holds exactly the usage it recorded, and refusals raise TollgateError with the documented
 * code, message and Retry-After.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoCatalog } from '../src/core/catalog/demo-catalog.js';
import { ManualClock } from '../src/core/clock.js';
import { calendarMonth } from '../src/core/periods.js';
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

  it('runs the demo: records usage, prints the figures, and is refused past the quota', async () => {
    const customer = await newCustomer();
    const result = await python(['demo.py'], { TOLLGATE_URL: url, TOLLGATE_API_KEY: customer.key });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines.slice(0, 4)).toEqual([
      'recorded capture x2: cost 2 credits, 2 used this period',
      'recorded search x3: cost 0.3 credits, 2.3 used this period',
      'check reflect x1: allowed',
      'usage: 2.3 of 100 credits used (2.3%), 97.7 left, plan free',
    ]);
    expect(lines[4]).toMatch(/^refused: quota_exceeded \(429\): .+; retry after \d+ s$/);

    const events = await store.listUsageEvents(customer.id, 0, START + 86_400_000, 10);
    expect(events.map((event) => [event.operation, event.quantity, event.cost])).toEqual([
      ['capture', 2, 2000],
      ['search', 3, 300],
    ]);
    expect(events.every((event) => event.idempotencyKey !== null)).toBe(true);
    const usage = await store.getPeriodUsage(customer.id, calendarMonth(START).start);
    expect(usage.used).toBe(2300);
  });

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

  it('raises TollgateError with the code, message and Retry-After of a 429, and of a bad key', async () => {
    const customer = await newCustomer();
    // The free plan allows 10 recorded requests a minute: the 11th is rate_limited.
    const script = `
import json, os
from tollgate_client import TollgateClient, TollgateError
client = TollgateClient(os.environ["TOLLGATE_URL"], os.environ["TOLLGATE_API_KEY"])
recorded = 0
out = {}
# At most 10 a minute; a fixed window may turn over mid-loop, so keep going until refused.
for _ in range(25):
    try:
        client.record("search")
        recorded += 1
    except TollgateError as error:
        out["limited"] = [error.status, error.error, error.message, error.retry_after]
        break
out["recorded"] = recorded
try:
    TollgateClient(os.environ["TOLLGATE_URL"], "tg_live_wrong").usage()
except TollgateError as error:
    out["unauthorized"] = [error.status, error.error, error.message, error.retry_after]
print(json.dumps(out))
`;
    const result = await python(['-c', script], { TOLLGATE_URL: url, TOLLGATE_API_KEY: customer.key });
    expect(result.stderr).toBe('');
    const out = JSON.parse(result.stdout) as {
      recorded: number;
      limited?: [number, string, string, number | null];
      unauthorized?: [number, string, string, number | null];
    };
    expect(out.limited?.slice(0, 2)).toEqual([429, 'rate_limited']);
    expect(out.limited?.[2]).toMatch(/\w/);
    expect(out.limited?.[3]).toBeGreaterThan(0);
    expect(out.limited?.[3]).toBeLessThanOrEqual(60);
    expect(out.unauthorized).toEqual([401, 'unauthorized', 'A valid API key is required.', null]);
    const events = await store.listUsageEvents(customer.id, 0, START + 86_400_000, 20);
    expect(out.recorded).toBeGreaterThanOrEqual(10);
    expect(events).toHaveLength(out.recorded);
  });
});
