import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Contention } from './contend-counters.js';
import { describeCountersContract } from './counters-contract.js';
import { createRedisCounters } from './redis-counters.js';

// Redis is required, not optional: when it is unreachable these tests fail rather than skip.
const REDIS_URL = process.env.TOLLGATE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
let admin: Redis;

beforeAll(async () => {
  admin = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  // The failed connect() below reports the error; without a listener ioredis would log it again.
  admin.on('error', () => {});
  try {
    await admin.connect();
  } catch (error) {
    throw new Error(`Redis is required at ${REDIS_URL} (set TOLLGATE_TEST_REDIS_URL): ${String(error)}`);
  }
});

afterAll(async () => {
  await admin?.quit();
});

// Every prefix handed out is cleaned after each test, also when the test failed half-way.
const usedPrefixes: string[] = [];

function randomPrefix(): string {
  const prefix = `tollgate-test:${randomBytes(6).toString('hex')}:`;
  usedPrefixes.push(prefix);
  return prefix;
}

afterEach(async () => {
  for (const prefix of usedPrefixes.splice(0)) await deleteKeysWithPrefix(prefix);
});

/** Lists this test's keys only: other suites share the Redis, so never FLUSHDB. */
async function keysWithPrefix(prefix: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    found.push(...keys);
    cursor = next;
  } while (cursor !== '0');
  return found;
}

async function deleteKeysWithPrefix(prefix: string): Promise<void> {
  const keys = await keysWithPrefix(prefix);
  if (keys.length > 0) await admin.del(...keys);
}

describeCountersContract('redis', async () => {
  const prefix = randomPrefix();
  const counters = createRedisCounters({ url: REDIS_URL, prefix });
  return {
    counters,
    async cleanup() {
      await counters.close();
      await deleteKeysWithPrefix(prefix);
    },
  };
});

describe('redis counters', () => {
  const t0 = Date.UTC(2026, 0, 1);

  it('gives every key it writes an expiry, relative to now so a fake clock in the past works', async () => {
    const prefix = randomPrefix();
    const counters = createRedisCounters({ url: REDIS_URL, prefix });
    await counters.hitRate([{ key: 'cus_1:minute', limit: 5, windowStart: t0, windowMs: 60_000 }]);
    await counters.acquireSlot('cus_1', 5, t0, t0 + 30_000);
    const keys = await keysWithPrefix(prefix);
    expect(keys.sort()).toEqual([`${prefix}slots:cus_1`, `${prefix}window:cus_1:minute:${t0}`]);
    for (const key of keys) {
      const ttl = await admin.pttl(key);
      expect(ttl).toBeGreaterThan(30_000);
      expect(ttl).toBeLessThanOrEqual(70_000);
    }
    await counters.close();
  });

  it('leaves a client it was given open when closed', async () => {
    const client = new Redis(REDIS_URL, { enableAutoPipelining: true });
    const prefix = randomPrefix();
    const counters = createRedisCounters({ client, prefix });
    await counters.acquireSlot('cus_1', 1, t0, t0 + 1_000);
    await counters.close();
    expect(await client.ping()).toBe('PONG');
    await client.quit();
  });
});

describe('redis counters across processes', () => {
  const child = fileURLToPath(new URL('./contend-counters.ts', import.meta.url));
  const root = fileURLToPath(new URL('../..', import.meta.url));

  /** Starts `processes` children, lets them go at once, and sums what they admitted. */
  async function contend(processes: number, contention: Contention): Promise<number[]> {
    const prefix = randomPrefix();
    const config = JSON.stringify({ ...contention, url: REDIS_URL, prefix });
    const children = Array.from({ length: processes }, () =>
      spawn(process.execPath, ['--import', 'tsx', child, config], {
        cwd: root,
        stdio: ['pipe', 'pipe', 'inherit'],
      }),
    );
    try {
      const outputs = children.map(collectStdout);
      await Promise.all(outputs.map((output) => output.ready));
      for (const started of children) started.stdin?.write('go\n');
      const exits = await Promise.all(children.map((started) => once(started, 'exit')));
      expect(exits.map(([code]) => code)).toEqual(children.map(() => 0));
      const lines = await Promise.all(outputs.map((output) => output.done));
      return lines.map((line) => (JSON.parse(line) as { admitted: number }).admitted);
    } finally {
      for (const started of children) if (started.exitCode === null) started.kill();
    }
  }

  const now = Date.UTC(2026, 0, 1);

  it('admits exactly 100 hits of 4 processes x 250 concurrent calls on a limit of 100', async () => {
    const admitted = await contend(4, {
      mode: 'hitRate',
      key: 'cus_hot',
      limit: 100,
      calls: 250,
      now,
      waveSize: 4,
    });
    expect(admitted).toHaveLength(4);
    expect(admitted.reduce((sum, n) => sum + n, 0)).toBe(100);
  });

  it('grants exactly 10 slots to 4 processes x 250 concurrent requests on a limit of 10', async () => {
    const admitted = await contend(4, {
      mode: 'acquireSlot',
      key: 'cus_hot',
      limit: 10,
      calls: 250,
      now,
      waveSize: 1,
    });
    expect(admitted).toHaveLength(4);
    expect(admitted.reduce((sum, n) => sum + n, 0)).toBe(10);
  });
});

/**
 * Resolves `ready` on the child's first line (or rejects if it exits first) and `done` with its last
 * line once its output is closed.
 */
function collectStdout(started: ChildProcess): { ready: Promise<void>; done: Promise<string> } {
  let buffered = '';
  const done = once(started, 'close').then(() => buffered.trim().split('\n').at(-1) ?? '');
  const ready = new Promise<void>((resolve, reject) => {
    started.stdout?.setEncoding('utf8');
    started.stdout?.on('data', (chunk: string) => {
      buffered += chunk;
      if (buffered.startsWith('ready\n')) resolve();
    });
    done.then(() => reject(new Error(`child exited before it was ready: ${buffered}`)));
  });
  return { ready, done };
}
