/**
 * Customer changes across processes on PostgreSQL: NOTIFY on a channel per schema, heard by one
 * dedicated LISTEN connection per process (opened when the first engine subscribes, outside the
 * pool, because a pooled connection is handed to other queries between uses).
 *
 * The writer learns that its change reached every instance by hearing its own notice back: the
 * server delivers a notice to all listening sessions at once when it commits, so once the writer's
 * listener has it, the others' have been sent too. When the listener is down (a restart, a network
 * cut) `publish` says it could not tell, and the engine falls back to waiting out its customer
 * cache time; the listener reconnects every second meanwhile. Notices missed while disconnected need
 * no replay: `epoch()` tells the engine the listener was down, and it then trusts no cached customer
 * past the cache time (1 s by default).
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { CustomerChangeFeed } from '../core/ports.js';

export interface PostgresCustomerChanges extends CustomerChangeFeed {
  /**
   * The listener's connection: a number that changes at every reconnect, null while it is not
   * listening. While it holds, every notice published since it was read has been heard.
   */
  epoch(): number | null;
  close(): Promise<void>;
}

const RECONNECT_MS = 1_000;

export function createPostgresCustomerChanges(
  driver: typeof pg,
  pool: pg.Pool,
  options: { connectionString: string; schema?: string; confirmTimeoutMs?: number },
): PostgresCustomerChanges {
  // One channel per schema: test schemas (and apps) sharing a database do not hear each other.
  const channel = `tollgate_customers${options.schema === undefined ? '' : `_${options.schema}`}`.slice(
    0,
    63,
  );
  const confirmTimeoutMs = options.confirmTimeoutMs ?? 2_000;
  const listeners = new Set<(customerId: string) => void>();
  const waiting = new Map<string, () => void>();
  let client: pg.Client | null = null;
  let ready: Promise<boolean> | null = null;
  let connected = false;
  // Bumped at every LISTEN that succeeds: notices sent while the listener was down are never heard.
  let epoch = 0;
  let closed = false;
  let retry: NodeJS.Timeout | null = null;

  function disconnect(): void {
    connected = false;
    ready = null;
    const old = client;
    client = null;
    if (old) void old.end().catch(() => {});
    if (closed || listeners.size === 0 || retry !== null) return;
    retry = setTimeout(() => {
      retry = null;
      void connect();
    }, RECONNECT_MS);
    retry.unref();
  }

  function connect(): Promise<boolean> {
    if (ready !== null) return ready;
    const next = new driver.Client({ connectionString: options.connectionString });
    client = next;
    next.on('error', () => {
      if (client === next) disconnect();
    });
    next.on('end', () => {
      if (client === next) disconnect();
    });
    next.on('notification', (message) => {
      if (message.channel !== channel || message.payload === undefined) return;
      const split = message.payload.indexOf(':');
      const nonce = message.payload.slice(0, split);
      const customerId = message.payload.slice(split + 1);
      for (const listener of listeners) listener(customerId);
      waiting.get(nonce)?.();
    });
    ready = next
      .connect()
      .then(() => next.query(`LISTEN "${channel}"`))
      .then(() => {
        if (client !== next) return false;
        connected = true;
        epoch += 1;
        return true;
      })
      .catch(() => {
        if (client === next) disconnect();
        return false;
      });
    return ready;
  }

  return {
    subscribe(listener) {
      listeners.add(listener);
      void connect();
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) {
          if (retry !== null) clearTimeout(retry);
          retry = null;
          disconnect();
        }
      };
    },

    epoch: () => (connected ? epoch : null),

    async publish(customerId) {
      const listening = listeners.size > 0 && (connected || (await (ready ?? Promise.resolve(false))));
      const nonce = randomUUID();
      let heard: Promise<boolean> = Promise.resolve(false);
      if (listening) {
        heard = new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => {
            waiting.delete(nonce);
            resolve(false);
          }, confirmTimeoutMs);
          timer.unref();
          waiting.set(nonce, () => {
            clearTimeout(timer);
            waiting.delete(nonce);
            resolve(true);
          });
        });
      }
      try {
        await pool.query('select pg_notify($1, $2)', [channel, `${nonce}:${customerId}`]);
      } catch (error) {
        waiting.get(nonce)?.();
        throw error;
      }
      return heard;
    },

    async close() {
      closed = true;
      listeners.clear();
      if (retry !== null) clearTimeout(retry);
      retry = null;
      const old = client;
      client = null;
      connected = false;
      ready = null;
      if (old) await old.end().catch(() => {});
    },
  };
}
