/**
 * The PostgreSQL customer change feed when its listening connection dies (a server restart, an
 * operator's pg_terminate_backend): the writer says it cannot confirm (so the engine waits out its
 * cache time instead), and the listener reconnects by itself and hears changes again.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../core/ports.js';
import { createPostgresStore } from './postgres-store.js';
import { openPostgresTestStore, postgresTestUrl } from './test-databases.js';

async function terminateListeners(schema: string): Promise<number> {
  const client = new pg.Client({ connectionString: postgresTestUrl });
  await client.connect();
  try {
    const result = await client.query(
      `select pg_terminate_backend(pid) from pg_stat_activity where query = $1`,
      [`LISTEN "tollgate_customers_${schema}"`],
    );
    return result.rowCount ?? 0;
  } finally {
    await client.end();
  }
}

/** Publishes from `from` until `heard` has the id (the listeners connect in the background). */
async function publishUntilHeard(from: Store, heard: string[], customerId: string): Promise<boolean> {
  let confirmed = false;
  for (let attempt = 0; attempt < 100 && !heard.includes(customerId); attempt++) {
    confirmed = (await from.customerChanges?.publish(customerId)) ?? false;
    if (!heard.includes(customerId)) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return confirmed;
}

describe('PostgreSQL customer changes when the listener is cut', () => {
  let handle: Awaited<ReturnType<typeof openPostgresTestStore>>;
  let other: Store;
  const heard: string[] = [];
  const unsubscribe: Array<() => void> = [];

  beforeAll(async () => {
    handle = await openPostgresTestStore();
    other = createPostgresStore({ connectionString: postgresTestUrl, schema: handle.schema });
    unsubscribe.push(handle.store.customerChanges?.subscribe(() => {}) ?? (() => {}));
    unsubscribe.push(other.customerChanges?.subscribe((id) => heard.push(id)) ?? (() => {}));
  });

  afterAll(async () => {
    for (const stop of unsubscribe) stop();
    await other?.close();
    await handle?.cleanup();
  });

  it('reconnects both listeners after their backends are terminated, and the writer cannot confirm meanwhile', async () => {
    expect(await publishUntilHeard(handle.store, heard, 'before')).toBe(true);
    expect(heard).toContain('before');

    expect(await terminateListeners(handle.schema)).toBe(2);
    // Until the writer's own listener is back, a publish cannot be confirmed.
    let unconfirmed = false;
    for (let attempt = 0; attempt < 40 && !unconfirmed; attempt++) {
      unconfirmed = (await handle.store.customerChanges?.publish('during')) === false;
      if (!unconfirmed) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(unconfirmed).toBe(true);

    // Both reconnect by themselves (every second): the other instance hears changes again.
    expect(await publishUntilHeard(handle.store, heard, 'after')).toBe(true);
    expect(heard).toContain('after');
  }, 20_000);
});
