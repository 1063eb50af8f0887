/**
 * Test support for the SQLite usage log (migration 013): what the index table, the watermark row and
 * the counters must agree on, read in one snapshot on any connection to the file, and a loop that
 * runs index steps to the end. Used by the log's tests and their child processes.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { createUsageIndexSteps } from './sqlite-usage-index.js';

export interface UsageLogAudit {
  events: number;
  /** Events the watermark row says are indexed. */
  expected: number;
  indexed: number;
  /** Expected index rows that are absent, and index rows that should not be there (or are wrong). */
  missing: number;
  extra: number;
  /** (customer, period) counters whose `used` differs from the sum of their events' cost. */
  counterMismatches: number;
  openCycle: boolean;
}

export function auditUsageLog(database: BetterSqlite3.Database): UsageLogAudit {
  const row = database.transaction(
    () =>
      database
        .prepare<[], Omit<UsageLogAudit, 'openCycle'> & { openCycle: number }>(
          `WITH s AS (SELECT * FROM usage_event_watermark WHERE id = 1),
           expected AS (
             SELECT e.customer_id, e.recorded_at, e.id, e.seq FROM usage_events AS e, s
             WHERE e.seq <= s.indexed_through
                OR (s.customer_cursor IS NOT NULL AND e.seq <= s.flushing_through AND e.customer_id < s.customer_cursor)
           ),
           indexed AS (SELECT customer_id, recorded_at, id, event_seq AS seq FROM usage_event_index),
           sums AS (
             SELECT customer_id, period_start, sum(cost) AS cost FROM usage_events GROUP BY customer_id, period_start
           )
           SELECT
             (SELECT count(*) FROM usage_events) AS events,
             (SELECT count(*) FROM expected) AS expected,
             (SELECT count(*) FROM indexed) AS indexed,
             (SELECT count(*) FROM (SELECT * FROM expected EXCEPT SELECT * FROM indexed)) AS missing,
             (SELECT count(*) FROM (SELECT * FROM indexed EXCEPT SELECT * FROM expected)) AS extra,
             (SELECT count(*) FROM usage_counters AS c LEFT JOIN sums AS m USING (customer_id, period_start)
               WHERE c.used != coalesce(m.cost, 0))
             + (SELECT count(*) FROM sums AS m LEFT JOIN usage_counters AS c USING (customer_id, period_start)
               WHERE c.used IS NULL) AS counterMismatches,
             (SELECT customer_cursor IS NOT NULL FROM s) AS openCycle`,
        )
        .get() as Omit<UsageLogAudit, 'openCycle'> & { openCycle: number },
  )();
  return { ...row, openCycle: row.openCycle === 1 };
}

/** The audit of a consistent log: everything the watermark row names is indexed, nothing else. */
export function isConsistent(audit: UsageLogAudit): boolean {
  return (
    audit.missing === 0 &&
    audit.extra === 0 &&
    audit.indexed === audit.expected &&
    audit.counterMismatches === 0
  );
}

/** Runs index steps on `database` until every event is indexed; returns the steps taken. */
export function indexEverything(
  database: BetterSqlite3.Database,
  options?: Parameters<typeof createUsageIndexSteps>[1],
): number {
  const steps = createUsageIndexSteps(database, options);
  let taken = 0;
  while (steps.step(0) !== 'idle') taken++;
  return taken;
}
