/**
 * The embedded store: SQLite through better-sqlite3, in WAL mode. Ordinary queries go through Kysely;
 * the hot path (`commitUsage`), the batched `touchApiKeys`, the point reads and the webhook inbox's
 * per-delivery calls use the raw Database handle kept next to the Kysely instance (see
 * sqlite-commit-usage.ts, sqlite-point-reads.ts and sqlite-webhook-statements.ts for why).
 *
 * There is one connection. Kysely guards it with a mutex; the raw paths take that same mutex
 * (`db.connection()`), so a raw transaction never runs in the middle of a Kysely transaction, where
 * better-sqlite3 would silently nest it as a savepoint of someone else's transaction.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import {
  CompiledQuery,
  type DatabaseConnection,
  type DialectAdapter,
  type Driver,
  Kysely,
  SqliteAdapter,
  SqliteDialect,
  type SqliteDialectConfig,
  SqliteDriver,
} from 'kysely';
import type { Store } from '../core/ports.js';
import { createBillingEventQueries } from './billing-event-queries.js';
import { createCustomerPriceQueries } from './customer-price-queries.js';
import { createDashboardTokenQueries } from './dashboard-token-queries.js';
import type { Database } from './database.js';
import { createHistoryQueries } from './history-queries.js';
import { createKyselyQueries } from './kysely-queries.js';
import { createMeterOutboxQueries } from './meter-outbox-queries.js';
import { checkMeterWindowMs, DEFAULT_METER_WINDOW_MS } from './meter-windows.js';
import { migrateToLatest } from './migrate-to-latest.js';
import { createOverrideQueries } from './override-queries.js';
import { startSqliteCheckpointer } from './sqlite-checkpointer.js';
import { type CommitUsage, createSqliteCommitUsage } from './sqlite-commit-usage.js';
import { createSqliteGrantQueries } from './sqlite-grant-statements.js';
import { createSqlitePointReads } from './sqlite-point-reads.js';
import { startSqliteUsageIndexer } from './sqlite-usage-index.js';
import type { SqliteUsageIndexOptions } from './sqlite-usage-index-options.js';
import { createSqliteUsageReads } from './sqlite-usage-reads.js';
import { createSqliteWebhookStatements } from './sqlite-webhook-statements.js';
import { createStripeCatalogQueries } from './stripe-catalog-queries.js';
import { createSubscriptionCountQueries } from './subscription-count-queries.js';
import { createSubscriptionQueries } from './subscription-queries.js';

export interface SqliteStoreOptions {
  /** Path of the database file, or `:memory:`. */
  filename: string;
  /** NORMAL (default) is durable against a process crash; FULL also against power loss (fsync per commit). */
  synchronous?: 'NORMAL' | 'FULL';
  /** How long a writer waits for another process's write lock, in ms (default 5,000). */
  busyTimeoutMs?: number;
  /** Length of the meter-outbox windows overage is reported in, ms (default one hour). */
  meterWindowMs?: number;
  /**
   * WAL checkpoints of a file database, run by a worker thread (sqlite-checkpointer.ts): ms between
   * PASSIVE checkpoints (default 50) and the WAL size in pages past which commits pause for a RESTART
   * (default 65,536).
   */
  checkpoint?: { intervalMs?: number; restartFrames?: number };
  /**
   * The per-customer usage index, filled behind the log's head (sqlite-usage-index.ts): unindexed
   * events that start a flush, events per flush transaction, and the idle time (ms) after which a
   * shorter tail is flushed (defaults 4,096, 4,096 and 1,000).
   */
  usageIndex?: SqliteUsageIndexOptions;
}

/** How often the store asks SQLite whether another connection committed (`quietToken`). */
const QUIET_CHECK_MS = 100;

/**
 * Opens (or creates) a SQLite database. Call `migrate()` before using it.
 * @example
 * const store = createSqliteStore({ filename: '.tollgate/tollgate.db' });
 * await store.migrate();
 */
export function createSqliteStore(options: SqliteStoreOptions): Store {
  // The default location (`.tollgate/tollgate.db`) lives in a folder that may not exist yet.
  if (isFile(options.filename)) {
    mkdirSync(dirname(options.filename), { recursive: true });
  }
  const database = new BetterSqlite3(options.filename);
  // busy_timeout first: switching a new file to WAL takes a lock another process may hold.
  database.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? 5_000)}`);
  database.pragma('journal_mode = WAL');
  const synchronous = options.synchronous === 'FULL' ? 'FULL' : 'NORMAL';
  database.pragma(`synchronous = ${synchronous}`);
  database.pragma('foreign_keys = ON');
  tuneConnection(database);
  const db = new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database }) });
  const meterWindowMs = checkMeterWindowMs(options.meterWindowMs ?? DEFAULT_METER_WINDOW_MS);
  // A file database is checkpointed by a worker thread, never inside a commit on the event loop.
  const checkpointer = isFile(options.filename)
    ? startSqliteCheckpointer(database, {
        filename: options.filename,
        synchronous,
        ...options.checkpoint,
        pause: (whilePaused) => db.connection().execute(whilePaused),
      })
    : undefined;

  const usageIndexer = startSqliteUsageIndexer(
    database,
    (run) => db.connection().execute(async () => run()),
    options.usageIndex,
  );

  // Moves when another connection (another process) commits: until then, every customer change was
  // made through this connection, so this process's engine heard of it. Read at most every
  // QUIET_CHECK_MS: the pragma takes the WAL's read locks (system calls), 4-5 µs a call, and was a fifth of
  // an in-process consume() when asked per request. A value up to that old is conservative: it can
  // only be older than what a read after it sees, so another process's change is noticed within
  // QUIET_CHECK_MS of its commit.
  const dataVersion = database.prepare<[], number>('PRAGMA data_version').pluck();
  let version: number | null = null;
  let versionReadAt = Number.NEGATIVE_INFINITY;
  const quietToken = (): number | null => {
    if (!database.open) return null;
    const at = performance.now();
    if (at - versionReadAt >= QUIET_CHECK_MS) {
      version = dataVersion.get() ?? null;
      versionReadAt = at;
    }
    return version;
  };

  // Prepared on first use: the statements need the tables, which migrate() may create.
  let commitUsage: CommitUsage | undefined;
  let touchApiKey: BetterSqlite3.Statement<[number, string]> | undefined;

  return {
    ...createKyselyQueries(db),
    ...createMeterOutboxQueries(db, 'sqlite'),
    ...createStripeCatalogQueries(db),
    ...createBillingEventQueries(db),
    ...createSubscriptionCountQueries(db),
    ...createSubscriptionQueries(db),
    ...createDashboardTokenQueries(db),
    ...createCustomerPriceQueries(db),
    ...createHistoryQueries(db, 'sqlite'),
    ...createOverrideQueries(db, 'sqlite'),
    ...createSqliteGrantQueries(database, db),
    ...createSqlitePointReads(database, db),
    ...createSqliteWebhookStatements(database, db),
    // After the Kysely queries: these replace their usage reads with ones over the log layout.
    ...createSqliteUsageReads(database, db),

    async migrate() {
      await migrateToLatest(db);
    },

    quietToken,

    async close() {
      await usageIndexer.stop();
      await checkpointer?.stop();
      await db.destroy();
      // Kysely opens its driver on its first query and closes only what it opened; a store used only
      // through the raw statements would otherwise keep its connection (and the WAL) open.
      if (database.open) database.close();
    },

    async commitUsage(debits, recordedAt) {
      if (debits.length === 0) return [];
      return db.connection().execute(async () => {
        commitUsage ??= createSqliteCommitUsage(database, meterWindowMs);
        const outcomes = commitUsage(debits, recordedAt);
        usageIndexer.committed();
        return outcomes;
      });
    },

    async touchApiKeys(lastUsed) {
      if (lastUsed.size === 0) return;
      await db.connection().execute(async () => {
        // Last-used times only move forward, whichever process flushes last.
        touchApiKey ??= database.prepare(
          'UPDATE api_keys SET last_used_at = max(coalesce(last_used_at, 0), ?) WHERE id = ?',
        );
        const statement = touchApiKey;
        database
          .transaction(() => {
            for (const [id, time] of lastUsed) statement.run(time, id);
          })
          .immediate();
      });
    },
  };
}

/** `:memory:` and `''` (a private temporary database) are not files another connection can open. */
function isFile(filename: string): boolean {
  return filename !== ':memory:' && filename !== '' && !filename.startsWith('file::memory:');
}

/**
 * Memory for the hot path. The default page cache (2 MB) holds a fraction of a 1M-event table's
 * indexes, so commits re-read index pages from the OS; 256 MB keeps them (SQLite allocates it only as
 * pages are read). No mmap: with it SQLite looks every page up in the WAL index before its cache, which
 * cost more than the copies it saves (10-15% of the commit at 1M rows with a large WAL).
 */
function tuneConnection(database: BetterSqlite3.Database): void {
  database.pragma('cache_size = -262144');
  database.pragma('temp_store = MEMORY');
}

/**
 * Kysely's SQLite dialect, changed so that several processes can migrate one file at the same start.
 * Kysely's migrator takes no lock on SQLite and runs migrations outside a transaction, so two
 * processes both see a migration pending and both run it. Here transactions open with BEGIN IMMEDIATE
 * (the write lock, waited for with busy_timeout; a deferred BEGIN that later writes fails at once
 * with SQLITE_BUSY), and the adapter says DDL is transactional (it is, in SQLite), so the migrator
 * reads the applied migrations and applies the rest inside one locked transaction.
 */
class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;

  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config);
  }

  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}

class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}
