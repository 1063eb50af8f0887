/**
 * Fills `usage_event_index` behind the head of the usage log (migration 013, docs/decisions/016).
 * Commits only append to `usage_events`; this copies the events into the per-customer index in
 * cycles, customer range by customer range, so each customer's index leaf is written about once per
 * cycle instead of once per event (a dirty page costs ~20 µs to write to the WAL on this machine
 * kind, and a cycle of 1,000 customers' events touches 1,000 of them).
 *
 * A cycle fixes `flushing_through` (H) at the head; then each step indexes the events in
 * (`indexed_through`, H] of the next few customers (in SQLite's own order) and moves
 * `customer_cursor` past them; the last step sets `indexed_through` to H. Index rows and the state
 * row change in the same transaction, so after a crash the index holds exactly: every event up to
 * `indexed_through`, plus those up to H of the customers before the cursor. Reads use the same rule
 * (sqlite-usage-reads.ts), and the next step, in this process or after a restart, resumes there.
 *
 * The cycle's events, sorted by customer, are staged in a TEMP table (memory, this connection only,
 * rebuilt from the state row whenever it does not match, e.g. after a restart or when another process
 * moved the cycle). Every step is one IMMEDIATE transaction on the store's connection under Kysely's
 * mutex, like a commit, and bounded (`chunkRows` events, `chunkCustomers` customers, `stageRows` events
 * staged), so batches that queue for the mutex wait at most one step.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { SqliteUsageIndexOptions } from './sqlite-usage-index-options.js';

export interface SqliteUsageIndexer {
  /** Called after each committed batch, under the connection mutex. */
  committed(): void;
  /** Stops starting steps and waits for a running flush to end. */
  stop(): Promise<void>;
}

/** Events staged per step when the TEMP table is (re)filled. */
const STAGE_ROWS = 1_024;

export const DEFAULT_USAGE_INDEX = {
  flushRows: 16_384,
  chunkRows: 4_096,
  chunkCustomers: 32,
  idleMs: 1_000,
} as const;

interface IndexState {
  indexed_through: number;
  flushing_through: number;
  customer_cursor: string | null;
}

/** What a step did: nothing to do, or work done (call again while a cycle is open). */
export type IndexStep = 'idle' | 'more';

/**
 * The synchronous step function of one connection. `step(minimum)` opens a cycle when at least
 * `minimum` events are unindexed (0: any), else continues the open one.
 */
export function createUsageIndexSteps(
  database: BetterSqlite3.Database,
  options: Pick<SqliteUsageIndexOptions, 'chunkRows' | 'chunkCustomers'> = {},
): { step(minimum: number): IndexStep; state(): IndexState; head(): number } {
  const chunkRows = positive(options.chunkRows ?? DEFAULT_USAGE_INDEX.chunkRows, 'chunkRows');
  const chunkCustomers = positive(
    options.chunkCustomers ?? DEFAULT_USAGE_INDEX.chunkCustomers,
    'chunkCustomers',
  );
  database.exec(
    `CREATE TEMP TABLE IF NOT EXISTS usage_event_staged (
       customer_id text NOT NULL, recorded_at integer NOT NULL, id text NOT NULL, seq integer NOT NULL,
       PRIMARY KEY (customer_id, recorded_at, id)
     ) WITHOUT ROWID`,
  );
  const readState = database.prepare<[], IndexState>(
    'SELECT indexed_through, flushing_through, customer_cursor FROM usage_event_watermark WHERE id = 1',
  );
  const readHead = database.prepare<[], number | null>('SELECT max(seq) FROM usage_events').pluck();
  const openCycle = database.prepare<[number]>(
    `UPDATE usage_event_watermark SET flushing_through = ?, customer_cursor = '' WHERE id = 1`,
  );
  const moveCursor = database.prepare<[string]>(
    'UPDATE usage_event_watermark SET customer_cursor = ? WHERE id = 1',
  );
  const closeCycle = database.prepare(
    'UPDATE usage_event_watermark SET indexed_through = flushing_through, customer_cursor = NULL WHERE id = 1',
  );
  const clearStaged = database.prepare('DELETE FROM temp.usage_event_staged');
  const stage = database.prepare<[number, number, string]>(
    `INSERT INTO temp.usage_event_staged (customer_id, recorded_at, id, seq)
     SELECT customer_id, recorded_at, id, seq FROM usage_events WHERE seq > ? AND seq <= ? AND customer_id >= ?`,
  );
  // Where this step stops: the first customer past `chunkCustomers` customers or `chunkRows` events
  // from the cursor, whichever comes first; null when the rest fits.
  const customerAt = database
    .prepare<[string, number], string>(
      `SELECT customer_id FROM (SELECT DISTINCT customer_id FROM temp.usage_event_staged WHERE customer_id >= ?
        ORDER BY customer_id) LIMIT 1 OFFSET ?`,
    )
    .pluck();
  const rowAt = database
    .prepare<[string, number], string>(
      `SELECT customer_id FROM temp.usage_event_staged WHERE customer_id >= ?
       ORDER BY customer_id, recorded_at, id LIMIT 1 OFFSET ?`,
    )
    .pluck();
  const nextCustomer = database
    .prepare<[string], string>(
      'SELECT customer_id FROM temp.usage_event_staged WHERE customer_id > ? ORDER BY customer_id LIMIT 1',
    )
    .pluck();
  const copyRange = database.prepare<[string, string]>(
    `INSERT INTO usage_event_index (customer_id, recorded_at, id, event_seq)
     SELECT customer_id, recorded_at, id, seq FROM temp.usage_event_staged WHERE customer_id >= ? AND customer_id < ?
     ORDER BY customer_id, recorded_at, id`,
  );
  const copyRest = database.prepare<[string]>(
    `INSERT INTO usage_event_index (customer_id, recorded_at, id, event_seq)
     SELECT customer_id, recorded_at, id, seq FROM temp.usage_event_staged WHERE customer_id >= ?
     ORDER BY customer_id, recorded_at, id`,
  );
  const dropRange = database.prepare<[string, string]>(
    'DELETE FROM temp.usage_event_staged WHERE customer_id >= ? AND customer_id < ?',
  );

  // What the staged table holds: the cycle (indexed_through, flushing_through) it is for, staged up to `through`.
  let staged: { from: number; to: number; cursor: string; through: number } | undefined;

  const step = database.transaction((minimum: number): IndexStep => {
    let state = readState.get() as IndexState;
    if (state.customer_cursor === null) {
      const head = readHead.get() ?? 0;
      const tail = head - state.indexed_through;
      if (tail <= 0 || tail < minimum) return 'idle';
      openCycle.run(head);
      state = { ...state, flushing_through: head, customer_cursor: '' };
    }
    const cursor = state.customer_cursor as string;
    if (
      staged === undefined ||
      staged.from !== state.indexed_through ||
      staged.to !== state.flushing_through
    ) {
      clearStaged.run();
      staged = {
        from: state.indexed_through,
        to: state.flushing_through,
        cursor,
        through: state.indexed_through,
      };
    }
    // Another connection may have indexed customers past the cursor staging started from; those
    // rows stay staged but are never copied (every copy starts at the current cursor).
    if (staged.through < staged.to) {
      const through = Math.min(staged.to, staged.through + STAGE_ROWS);
      stage.run(staged.through, through, staged.cursor);
      staged.through = through;
      return 'more';
    }
    const byCustomers = customerAt.get(cursor, chunkCustomers);
    const byRows = rowAt.get(cursor, chunkRows);
    let end =
      byCustomers === undefined
        ? byRows
        : byRows === undefined || byCustomers < byRows
          ? byCustomers
          : byRows;
    // One customer with more than chunkRows events goes in one step: its rows are contiguous in the index.
    if (end === cursor) end = nextCustomer.get(cursor);
    if (end === undefined) {
      copyRest.run(cursor);
      closeCycle.run();
      clearStaged.run();
      staged = undefined;
      return 'more';
    }
    copyRange.run(cursor, end);
    dropRange.run(cursor, end);
    moveCursor.run(end);
    return 'more';
  });

  return {
    step: (minimum) => {
      try {
        return step.immediate(minimum);
      } catch (error) {
        // Rolled back: the staged table may no longer match what `staged` says.
        staged = undefined;
        throw error;
      }
    },
    state: () => readState.get() as IndexState,
    head: () => readHead.get() ?? 0,
  };
}

/**
 * Starts the indexer of a store. `withConnection` runs a function under the store's connection mutex.
 */
export function startSqliteUsageIndexer(
  database: BetterSqlite3.Database,
  withConnection: <T>(run: () => T) => Promise<T>,
  options: SqliteUsageIndexOptions = {},
): SqliteUsageIndexer {
  const flushRows = positive(options.flushRows ?? DEFAULT_USAGE_INDEX.flushRows, 'flushRows');
  const idleMs = options.idleMs ?? DEFAULT_USAGE_INDEX.idleMs;
  // Prepared on first use: the tables exist once migrate() has run.
  let steps: ReturnType<typeof createUsageIndexSteps> | undefined;
  const prepared = () => {
    steps ??= createUsageIndexSteps(database, options);
    return steps;
  };
  let stopped = false;
  let commitsSinceTick = 0;
  let flushing: Promise<number> | undefined;
  /** Commits since the last idle run: an idle run is due only if some came. */
  let commitsSinceIdleRun = 0;

  // Each step takes the mutex anew, so batches that queued for it during a step commit before the next.
  const runSteps = async (minimum: number): Promise<number> => {
    let taken = 0;
    while (!stopped) {
      const done = await withConnection(() => prepared().step(minimum) === 'idle');
      if (done) break;
      taken++;
    }
    return taken;
  };
  // One run at a time; a caller that finds one running waits for it, then runs its own.
  const run = async (minimum: number): Promise<number> => {
    while (flushing) await flushing.catch(() => 0);
    flushing = runSteps(minimum).finally(() => {
      flushing = undefined;
    });
    return flushing;
  };

  const idle =
    idleMs > 0
      ? setInterval(() => {
          const quiet = commitsSinceTick === 0;
          commitsSinceTick = 0;
          if (quiet && !flushing && commitsSinceIdleRun > 0) {
            commitsSinceIdleRun = 0;
            void run(0).catch(() => {});
          }
        }, idleMs)
      : undefined;
  idle?.unref();

  return {
    committed() {
      commitsSinceTick++;
      commitsSinceIdleRun++;
      if (flushing || stopped) return;
      const { state, head } = prepared();
      const current = state();
      // A cycle left open (by a crash, or by another process) is finished before the next one starts.
      if (current.customer_cursor === null && head() - current.indexed_through < flushRows) return;
      // Queued for the mutex now: behind the batches already waiting for it, ahead of later ones. A
      // failed step changed nothing (one transaction); a later commit starts the run again.
      void run(flushRows).catch(() => {});
    },
    async stop() {
      stopped = true;
      if (idle) clearInterval(idle);
      await flushing?.catch(() => 0);
    },
  };
}

function positive(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value <= 0)
    throw new TypeError(`${name} must be a positive integer: ${value}`);
  return value;
}
