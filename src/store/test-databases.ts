/**
 * Real databases for the store tests: a SQLite file in a temp directory, and a fresh schema on the
 * test PostgreSQL (`TOLLGATE_TEST_POSTGRES_URL`, default postgres://postgres@127.0.0.1:5432/test),
 * dropped afterwards. PostgreSQL is required: when it cannot be reached the tests fail, never skip.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { Store } from '../core/ports.js';
import { createPostgresStore } from './postgres-store.js';
import { createSqliteStore } from './sqlite-store.js';
import type { StoreHandle } from './store-contract.js';

export const postgresTestUrl =
  process.env.TOLLGATE_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export function newSchemaName(): string {
  return `tollgate_test_${randomBytes(6).toString('hex')}`;
}

export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: postgresTestUrl });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

export async function openPostgresTestStore(): Promise<StoreHandle & { schema: string }> {
  const schema = newSchemaName();
  const open = async (poolSize?: number): Promise<Store> => {
    const store = createPostgresStore({ connectionString: postgresTestUrl, schema, poolSize });
    await store.migrate();
    return store;
  };
  const store = await open();
  return {
    store,
    schema,
    openAnother: () => open(5),
    async cleanup() {
      await store.close();
      await dropSchema(schema);
    },
  };
}

export async function openSqliteTestStore(): Promise<StoreHandle & { filename: string }> {
  const directory = mkdtempSync(join(tmpdir(), 'tollgate-store-'));
  const filename = join(directory, 'tollgate.db');
  const open = async (): Promise<Store> => {
    const store = createSqliteStore({ filename });
    await store.migrate();
    return store;
  };
  const store = await open();
  return {
    store,
    filename,
    openAnother: open,
    async cleanup() {
      await store.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
