/**
 * Real backends for engine tests: SQLite in a temp file, PostgreSQL in a fresh schema, memory and
 * Redis counters under a fresh prefix. PostgreSQL and Redis are required, never mocked: a test that
 * cannot reach them fails.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { Counters, Store } from '../../src/core/ports.js';
import { createMemoryCounters } from '../../src/counters/memory-counters.js';
import { createRedisCounters } from '../../src/counters/redis-counters.js';
import { createPostgresStore } from '../../src/store/postgres-store.js';
import { createSqliteStore } from '../../src/store/sqlite-store.js';

export const postgresUrl =
  process.env.TOLLGATE_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const redisUrl = process.env.TOLLGATE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface Backend {
  name: string;
  store: Store;
  /** Where another process can open the same store. */
  location: { kind: 'sqlite'; filename: string } | { kind: 'postgres'; url: string; schema: string };
  cleanup(): Promise<void>;
}

export async function openSqlite(): Promise<Backend> {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-test-'));
  const filename = join(dir, 'tollgate.db');
  const store = await createSqliteStore({ filename });
  await store.migrate();
  return {
    name: 'sqlite',
    store,
    location: { kind: 'sqlite', filename },
    async cleanup() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function openPostgres(): Promise<Backend> {
  const schema = `test_${randomBytes(6).toString('hex')}`;
  const store = await createPostgresStore({ connectionString: postgresUrl, schema });
  await store.migrate();
  return {
    name: 'postgres',
    store,
    location: { kind: 'postgres', url: postgresUrl, schema },
    async cleanup() {
      await store.close();
      const client = new pg.Client({ connectionString: postgresUrl });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    },
  };
}

export const backends: Array<[string, () => Promise<Backend>]> = [
  ['sqlite', openSqlite],
  ['postgres', openPostgres],
];

export interface CountersHandle {
  counters: Counters;
  prefix: string;
  cleanup(): Promise<void>;
}

export async function openRedisCounters(
  prefix = `tollgate-test:${randomBytes(6).toString('hex')}:`,
): Promise<CountersHandle> {
  const counters = createRedisCounters({ url: redisUrl, prefix });
  return {
    counters,
    prefix,
    async cleanup() {
      await counters.close();
      const redis = new Redis(redisUrl);
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    },
  };
}

export function openMemoryCounters(): CountersHandle {
  const counters = createMemoryCounters();
  return { counters, prefix: '', cleanup: () => counters.close() };
}
