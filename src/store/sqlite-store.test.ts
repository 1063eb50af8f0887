import { dirname, join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createSqliteStore } from './sqlite-store.js';
import { describeStoreContract } from './store-contract.js';
import { openSqliteTestStore } from './test-databases.js';

describeStoreContract('sqlite (file)', openSqliteTestStore);

describeStoreContract('sqlite (:memory:)', async () => {
  const store = createSqliteStore({ filename: ':memory:' });
  await store.migrate();
  return { store, cleanup: () => store.close() };
});

describe('SQLite store', () => {
  it('opens the file in WAL mode with the requested synchronous level and foreign keys on', async () => {
    const handle = await openSqliteTestStore();
    try {
      await handle.store.close();
      const store = createSqliteStore({ filename: handle.filename, synchronous: 'FULL' });
      await store.migrate();
      await store.close();
      const raw = new BetterSqlite3(handle.filename, { readonly: true });
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
      raw.close();
    } finally {
      await handle.cleanup().catch(() => {});
    }
  });
});

describe('SQLite store location', () => {
  it('creates the folder of a new database file', async () => {
    const handle = await openSqliteTestStore();
    try {
      const store = createSqliteStore({
        filename: join(dirname(handle.filename), 'nested', 'deeper', 'new.db'),
      });
      await store.migrate();
      await store.ping();
      await store.close();
    } finally {
      await handle.cleanup();
    }
  });
});
