/**
 * The usage indexer's settings (sqlite-usage-index.ts), in a file of their own: `SqliteStoreOptions`
 * is public, and its declarations must not reach the SQLite driver's types, which a user's project
 * may not have.
 */
export interface SqliteUsageIndexOptions {
  /** Unindexed events that start a cycle (default 16,384). */
  flushRows?: number;
  /** At most this many events indexed per step (default 4,096)... */
  chunkRows?: number;
  /** ...and at most this many customers' (default 32). */
  chunkCustomers?: number;
  /** A tail left alone this long (ms) is indexed however short (default 1,000; 0 = never). */
  idleMs?: number;
}
