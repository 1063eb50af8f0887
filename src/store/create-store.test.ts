import { describe, expect, it } from 'vitest';
import { createStore, parseDatabaseUrl } from './create-store.js';
import { dropSchema, newSchemaName, postgresTestUrl } from './test-databases.js';

describe('parseDatabaseUrl', () => {
  it.each([
    ['postgres://u@host:5432/db', { kind: 'postgres', connectionString: 'postgres://u@host:5432/db' }],
    ['postgresql://u@host/db', { kind: 'postgres', connectionString: 'postgresql://u@host/db' }],
    ['sqlite::memory:', { kind: 'sqlite', filename: ':memory:' }],
    [':memory:', { kind: 'sqlite', filename: ':memory:' }],
    ['sqlite:data/tollgate.db', { kind: 'sqlite', filename: 'data/tollgate.db' }],
    ['sqlite://data/tollgate.db', { kind: 'sqlite', filename: 'data/tollgate.db' }],
    ['sqlite:///var/lib/tollgate.db', { kind: 'sqlite', filename: '/var/lib/tollgate.db' }],
    ['./tollgate.db', { kind: 'sqlite', filename: './tollgate.db' }],
    ['/abs/tollgate.db', { kind: 'sqlite', filename: '/abs/tollgate.db' }],
  ])('reads %s', (url, location) => {
    expect(parseDatabaseUrl(url)).toEqual(location);
  });

  it('rejects other schemes and empty locations', () => {
    expect(() => parseDatabaseUrl('mysql://localhost/db')).toThrow(/unsupported database URL scheme: mysql/);
    expect(() => parseDatabaseUrl('sqlite:')).toThrow(/names no file/);
    expect(() => parseDatabaseUrl('')).toThrow(/empty/);
  });
});

describe('createStore', () => {
  it('opens an in-memory SQLite store from sqlite::memory:', async () => {
    const store = createStore('sqlite::memory:');
    await store.migrate();
    await store.createCustomer({ id: 'cus_1', plan: 'free', createdAt: 1 });
    expect((await store.getCustomer('cus_1'))?.plan).toBe('free');
    await store.close();
  });

  it('opens a PostgreSQL store in the given schema, creating it', async () => {
    const schema = newSchemaName();
    const store = createStore(postgresTestUrl, { schema, poolSize: 2 });
    try {
      await store.migrate();
      await store.ping();
      await store.createCustomer({ id: 'cus_1', plan: 'pro', createdAt: 1 });
      expect((await store.getCustomer('cus_1'))?.plan).toBe('pro');
    } finally {
      await store.close();
      await dropSchema(schema);
    }
  });

  it('refuses a schema name it would have to quote', () => {
    expect(() => createStore(postgresTestUrl, { schema: 'Bad-Name' })).toThrow(/schema must be/);
  });
});
