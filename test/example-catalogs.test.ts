/**
 * The example catalogs of `examples/catalogs/`, one per kind of product: each loads as a user would
 * load it, and its plans' limits hold through the engine on SQLite (limits hit exactly, windows reset).
 */
import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCatalogFile } from '../src/core/catalog/load-catalog-file.js';
import { ManualClock } from '../src/core/clock.js';
import { createTollgate, type Tollgate } from '../src/core/tollgate.js';
import { createMemoryCounters } from '../src/counters/memory-counters.js';
import { type Backend, openSqlite } from './support/backends.js';

const directory = new URL('../examples/catalogs/', import.meta.url);
const load = (name: string) => loadCatalogFile(new URL(name, directory));

describe('example catalogs', () => {
  let backend: Backend;
  let clock: ManualClock;
  beforeAll(async () => {
    backend = await openSqlite();
  });
  afterAll(async () => {
    await backend.cleanup();
  });

  /** An engine on the catalog and a customer on `plan`, with a consume of `operation` x `quantity`. */
  async function customerOn(name: string, plan: string) {
    clock = new ManualClock(Date.UTC(2027, 5, 10, 9));
    const tollgate: Tollgate = createTollgate({
      catalog: load(name),
      store: backend.store,
      counters: createMemoryCounters(),
      clock,
    });
    const customer = await tollgate.createCustomer({ plan });
    return {
      id: customer.id,
      tollgate,
      use: async (operation: string, quantity = 1) =>
        (await tollgate.consume(customer.id, { operation, quantity })).allowed,
      decide: (operation: string, quantity = 1) => tollgate.consume(customer.id, { operation, quantity }),
      standing: () => tollgate.operationUsage(customer.id),
    };
  }

  it('are five, and each one loads', () => {
    const files = readdirSync(directory).filter((file) => file.endsWith('.yaml'));
    expect(files.sort()).toEqual([
      'agent-marketplace.yaml',
      'ai-automation.yaml',
      'memory-api.yaml',
      'memory-cloud.yaml',
      'video-platform.yaml',
    ]);
    for (const file of files) expect(load(file).plans.length).toBeGreaterThanOrEqual(3);
  });

  it('memory API: one credit pool drawn at each operation cost', async () => {
    const { use, decide, tollgate } = await customerOn('memory-api.yaml', 'free');
    expect(await use('ingest', 99)).toBe(true);
    expect(await use('search', 10)).toBe(true); // 10 x 0.1 credit = 1 credit: exactly 100
    const refused = await decide('search');
    expect(refused.reason).toBe('quota_exceeded');
    expect(refused.refusedWindow).toBeNull();
    await tollgate.close();
  });

  it('memory cloud: calls per minute and per day, and Pro billed per 1,000 calls past its month', async () => {
    const free = await customerOn('memory-cloud.yaml', 'free');
    expect(await free.use('api_call', 10)).toBe(true);
    expect((await free.decide('api_call')).refusedWindow).toMatchObject({ window: 'minute', limit: 10 });
    for (let minute = 1; minute <= 9; minute++) {
      clock.advance(60_000);
      expect(await free.use('api_call', 10)).toBe(true);
    }
    clock.advance(60_000);
    expect((await free.decide('api_call')).refusedWindow).toMatchObject({
      window: 'day',
      limit: 100,
      used: 100,
    });
    await free.tollgate.close();

    const pro = await customerOn('memory-cloud.yaml', 'pro');
    expect(await pro.use('api_call', 100)).toBe(true);
    const month = (await pro.standing()).api_call?.month;
    expect(month).toMatchObject({ used: 100, limit: 300000, remaining: 299900 });
    expect(
      pro.tollgate.catalog.plans.find((plan) => plan.id === 'pro')?.limits.operations.api_call?.overage,
    ).toEqual({ unitAmount: 10, unitQuantity: 1000, capAmount: 5000 });
    await pro.tollgate.close();
  });

  it('AI automation: separate monthly quotas for tokens, API calls and scraping tasks', async () => {
    const basic = await customerOn('ai-automation.yaml', 'basic');
    expect(await basic.use('tokens', 100_000)).toBe(true);
    expect((await basic.decide('tokens')).refusedWindow).toMatchObject({ window: 'month', limit: 100_000 });
    expect(await basic.use('api_call', 1000)).toBe(true);
    expect(await basic.use('scraping_task', 100)).toBe(true);
    expect(await basic.use('scraping_task')).toBe(false);
    await basic.tollgate.close();

    const free = await customerOn('ai-automation.yaml', 'free');
    expect((await free.decide('scraping_task')).refusedWindow).toMatchObject({ limit: 0, used: 0 });
    await free.tollgate.close();

    const enterprise = await customerOn('ai-automation.yaml', 'enterprise');
    expect(await enterprise.use('tokens', 50_000_000)).toBe(true);
    expect((await enterprise.standing()).tokens?.month).toMatchObject({ used: 50_000_000, limit: null });
    await enterprise.tollgate.close();
  });

  it('video platform: videos and matches per day reset the next day', async () => {
    const free = await customerOn('video-platform.yaml', 'free');
    expect(await free.use('video')).toBe(true);
    expect((await free.decide('video')).refusedWindow).toMatchObject({ window: 'day', limit: 1 });
    clock.advance(15 * 3_600_000); // past midnight UTC
    expect(await free.use('video')).toBe(true);
    await free.tollgate.close();

    const pro = await customerOn('video-platform.yaml', 'pro');
    expect(await pro.use('match', 200)).toBe(true);
    expect((await pro.decide('match')).refusedWindow).toMatchObject({ window: 'day', limit: 200 });
    expect(Object.keys((await pro.standing()).match ?? {})).toEqual(['day', 'month']);
    await pro.tollgate.close();
  });

  it('agent marketplace: executions per month, Pro past its allowance up to the overage cap', async () => {
    const free = await customerOn('agent-marketplace.yaml', 'free');
    expect(await free.use('execution', 10)).toBe(true);
    expect(await free.use('execution')).toBe(false);
    await free.tollgate.close();

    const pro = await customerOn('agent-marketplace.yaml', 'pro');
    // 1,000 included + $25 cap at $0.05 each = 1,500.
    expect(await pro.use('execution', 1500)).toBe(true);
    expect((await pro.decide('execution')).refusedWindow).toMatchObject({
      window: 'month',
      limit: 1000,
      used: 1500,
    });
    const [counter] = await backend.store.getWindowUsage(pro.id, [
      { operation: 'execution', window: 'month', start: Date.UTC(2027, 5, 1) },
    ]);
    expect(counter).toEqual({ used: 1500, overage: 500 });
    await pro.tollgate.close();
  });
});
