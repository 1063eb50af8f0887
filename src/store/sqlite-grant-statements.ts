/**
 * Making and revoking grants on SQLite: the counter read and the grant write run synchronously in ONE
 * BEGIN IMMEDIATE transaction on the raw handle, under Kysely's connection mutex like `commitUsage`.
 * The write lock is what commits need too, so no debit lands between the baseline's read and the insert;
 * and nothing awaits while the lock is held (see grant-queries.ts for why that matters). `listGrants`,
 * read with every customer load, is a prepared statement too.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { Kysely, Selectable } from 'kysely';
import type { Database, GrantsTable } from './database.js';
import {
  createGrantReads,
  type GrantQueries,
  grantFromRow,
  grantRecord,
  grantToRow,
  unspentOf,
} from './grant-queries.js';

interface Statements {
  byCustomer: BetterSqlite3.Statement<[string], Selectable<GrantsTable>>;
  byKey: BetterSqlite3.Statement<[string, string], Selectable<GrantsTable>>;
  byId: BetterSqlite3.Statement<[string, string], Selectable<GrantsTable>>;
  credits: BetterSqlite3.Statement<[string, number], { used: number }>;
  month: BetterSqlite3.Statement<[string, string, number], { used: number }>;
  insert: BetterSqlite3.Statement<Record<string, unknown>>;
  revoke: BetterSqlite3.Statement<[number, string | null, number, string]>;
}

export function createSqliteGrantQueries(
  database: BetterSqlite3.Database,
  db: Kysely<Database>,
): GrantQueries {
  // Prepared on first use: the table exists once migrate() has run.
  let statements: Statements | undefined;
  const prepared = (): Statements => {
    statements ??= {
      byCustomer: database.prepare('SELECT * FROM grants WHERE customer_id = ? ORDER BY created_at, id'),
      byKey: database.prepare('SELECT * FROM grants WHERE customer_id = ? AND idempotency_key = ?'),
      byId: database.prepare('SELECT * FROM grants WHERE id = ? AND customer_id = ?'),
      credits: database.prepare('SELECT used FROM usage_counters WHERE customer_id = ? AND period_start = ?'),
      month: database.prepare(
        `SELECT used FROM operation_counters
         WHERE customer_id = ? AND operation = ? AND window_name = 'month' AND window_start = ?`,
      ),
      insert: database.prepare(
        `INSERT INTO grants (id, customer_id, operation, amount, expires, expires_at, period_start, baseline,
           created_at, created_by, reason, idempotency_key, request_hash, revoked_at)
         VALUES (@id, @customer_id, @operation, @amount, @expires, @expires_at, @period_start, @baseline,
           @created_at, @created_by, @reason, @idempotency_key, @request_hash, @revoked_at)`,
      ),
      revoke: database.prepare(
        'UPDATE grants SET revoked_at = ?, revoked_by = ?, revoked_amount = ? WHERE id = ?',
      ),
    };
    return statements;
  };
  const counter = (customerId: string, operation: string | null, periodStart: number): number => {
    const { credits, month } = prepared();
    const row =
      operation === null
        ? credits.get(customerId, periodStart)
        : month.get(customerId, operation, periodStart);
    return row?.used ?? 0;
  };
  const locked = <T>(run: () => T): Promise<T> =>
    db.connection().execute(async () => database.transaction(run).immediate());

  return {
    ...createGrantReads(db),

    // Read with every customer load (the engine's cache refresh): a prepared statement, as the other
    // point reads (sqlite-point-reads.ts), waiting for Kysely's mutex only inside a transaction.
    async listGrants(customerId) {
      const statement = prepared().byCustomer;
      const rows = database.inTransaction
        ? await db.connection().execute(async () => statement.all(customerId))
        : statement.all(customerId);
      return rows.map(grantFromRow);
    },

    createGrant(input) {
      return locked(() => {
        const known = prepared().byKey.get(input.customerId, input.idempotencyKey);
        if (known) return { grant: grantFromRow(known), created: false, requestHash: known.request_hash };
        const grant = grantRecord(input, counter(input.customerId, input.operation, input.periodStart));
        prepared().insert.run({ ...grantToRow(grant), request_hash: input.requestHash });
        return { grant, created: true, requestHash: input.requestHash };
      });
    },

    revokeGrant(revocation) {
      return locked(() => {
        const row = prepared().byId.get(revocation.grantId, revocation.customerId);
        if (!row) return undefined;
        const grant = grantFromRow(row);
        if (grant.revokedAt !== null) return grant;
        const used = counter(grant.customerId, grant.operation, revocation.periodStart);
        const unspent = unspentOf(revocation, grant, used);
        prepared().revoke.run(revocation.revokedAt, revocation.revokedBy, unspent, grant.id);
        return { ...grant, revokedAt: revocation.revokedAt, revokedAmount: unspent };
      });
    },
  };
}
