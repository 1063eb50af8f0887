/**
 * Migrating on a PostgreSQL database that other sessions share: Kysely's introspection reads every
 * schema's tables, so a schema dropped by another session at that moment used to fail the migration
 * ("schema ... does not exist"). It is read again instead.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { postgresUrl } from '../../test/support/backends.js';
import { createPostgresStore } from './postgres-store.js';

describe('PostgreSQL migrations beside schemas being dropped', () => {
  it('migrate while another session creates and drops schemas with tables', async () => {
    const churn = new pg.Client({ connectionString: postgresUrl });
    await churn.connect();
    let running = true;
    const churning = (async () => {
      while (running) {
        const name = `churn_${randomBytes(5).toString('hex')}`;
        await churn.query(`CREATE SCHEMA ${name}; CREATE TABLE ${name}.t (id serial primary key, a text)`);
        await churn.query(`DROP SCHEMA ${name} CASCADE`);
        // Another test run or app cleaning up now and then, not a drop every millisecond.
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })();
    const schemas = Array.from({ length: 12 }, () => `race_${randomBytes(5).toString('hex')}`);
    try {
      for (const schema of schemas) {
        const store = createPostgresStore({ connectionString: postgresUrl, schema });
        try {
          await expect(store.migrate()).resolves.toBeUndefined();
        } finally {
          await store.close();
        }
      }
    } finally {
      running = false;
      await churning;
      for (const schema of schemas) await churn.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await churn.end();
    }
  }, 60_000);
});
