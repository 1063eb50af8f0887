/**
 * Keyset paging newest first, shared by the listings of webhook events, invoices, the audit trail and
 * usage events: ordered on (`column`, id), a page starts after the row whose id is the cursor.
 */
import { type SelectQueryBuilder, sql } from 'kysely';
import type { Database } from './database.js';

type PagedTable = 'webhook_events' | 'invoices' | 'audit_log' | 'usage_events';

/**
 * Newest first on (`column`, id): after the row `after`, whose `column` value is read in a
 * sub-query, so the cursor stays a plain id.
 */
export function newestFirstAfter<T extends PagedTable, O>(
  query: SelectQueryBuilder<Database, T, O>,
  table: T,
  column: 'created' | 'at' | 'recorded_at',
  after: string | undefined,
): SelectQueryBuilder<Database, T, O> {
  const ordered = query
    .orderBy(sql.ref(`${table}.${column}`), 'desc')
    .orderBy(sql.ref(`${table}.id`), 'desc');
  if (after === undefined) return ordered;
  const key = sql`(select ${sql.ref(column)} from ${sql.table(table)} where id = ${after})`;
  return ordered.where(
    sql<boolean>`(${sql.ref(`${table}.${column}`)} < ${key} or (${sql.ref(`${table}.${column}`)} = ${key} and ${sql.ref(`${table}.id`)} < ${after}))`,
  );
}

/** A page of `limit` rows from `limit + 1` read, and whether more follow. */
export function page<T>(rows: T[], limit: number): { items: T[]; hasMore: boolean } {
  return { items: rows.slice(0, limit), hasMore: rows.length > limit };
}
