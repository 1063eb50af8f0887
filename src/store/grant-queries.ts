/**
 * Grants (migration 011). Making and revoking a grant read its counter in the transaction that writes
 * the grant, under the lock `commitUsage` takes on that counter, so a grant's baseline is exactly the
 * counter between two debits. Here with Kysely: the reads for both dialects and the writes for
 * PostgreSQL (the counter row is created if missing and locked FOR UPDATE). SQLite writes them on the
 * raw handle, synchronously inside one BEGIN IMMEDIATE (sqlite-grant-statements.ts): a Kysely
 * transaction awaiting between statements would hold the file's write lock while another connection of
 * the same process blocked the event loop waiting for it.
 */
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Grant, GrantCounter } from '../core/contract/grants.js';
import type { GrantRevocation, NewGrant, Store } from '../core/ports.js';
import type { Database, GrantsTable } from './database.js';
import { ConflictError, translateUniqueViolation } from './errors.js';

export type GrantQueries = Pick<Store, 'createGrant' | 'listGrants' | 'getGrantCounters' | 'revokeGrant'>;

/** The reads of both dialects. */
export function createGrantReads(
  db: Kysely<Database>,
): Pick<GrantQueries, 'listGrants' | 'getGrantCounters'> {
  return {
    async listGrants(customerId) {
      const rows = await db
        .selectFrom('grants')
        .selectAll()
        .where('customer_id', '=', customerId)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      return rows.map(grantFromRow);
    },

    async getGrantCounters(customerId, since, operations) {
      const credits = await db
        .selectFrom('usage_counters')
        .select(['period_start', 'used'])
        .where('customer_id', '=', customerId)
        .where('period_start', '>=', since)
        .orderBy('period_start')
        .execute();
      const counters: GrantCounter[] = credits.map((row) => ({
        operation: null,
        periodStart: row.period_start,
        used: row.used,
      }));
      if (operations.length > 0) {
        const windows = await db
          .selectFrom('operation_counters')
          .select(['operation', 'window_start', 'used'])
          .where('customer_id', '=', customerId)
          .where('window_name', '=', 'month')
          .where('operation', 'in', [...operations])
          .where('window_start', '>=', since)
          .orderBy('window_start')
          .execute();
        for (const row of windows) {
          counters.push({ operation: row.operation, periodStart: row.window_start, used: row.used });
        }
      }
      return counters;
    },
  };
}

/** Every grant query of PostgreSQL. */
export function createPostgresGrantQueries(db: Kysely<Database>): GrantQueries {
  /** The counter a grant spends against, created if missing and locked as commits lock it. */
  async function lockedCounter(
    trx: Transaction<Database>,
    customerId: string,
    operation: string | null,
    periodStart: number,
  ): Promise<number> {
    if (operation === null) {
      await trx
        .insertInto('usage_counters')
        .values({ customer_id: customerId, period_start: periodStart, used: 0, overage: 0 })
        .onConflict((conflict) => conflict.doNothing())
        .execute();
      const row = await trx
        .selectFrom('usage_counters')
        .select('used')
        .where('customer_id', '=', customerId)
        .where('period_start', '=', periodStart)
        .forUpdate()
        .executeTakeFirst();
      return row?.used ?? 0;
    }
    await trx
      .insertInto('operation_counters')
      .values({
        customer_id: customerId,
        operation,
        window_name: 'month',
        window_start: periodStart,
        used: 0,
        overage: 0,
      })
      .onConflict((conflict) => conflict.doNothing())
      .execute();
    const row = await trx
      .selectFrom('operation_counters')
      .select('used')
      .where('customer_id', '=', customerId)
      .where('operation', '=', operation)
      .where('window_name', '=', 'month')
      .where('window_start', '=', periodStart)
      .forUpdate()
      .executeTakeFirst();
    return row?.used ?? 0;
  }

  async function findByKey(customerId: string, idempotencyKey: string) {
    return db
      .selectFrom('grants')
      .selectAll()
      .where('customer_id', '=', customerId)
      .where('idempotency_key', '=', idempotencyKey)
      .executeTakeFirst();
  }

  return {
    ...createGrantReads(db),

    async createGrant(input) {
      const known = await findByKey(input.customerId, input.idempotencyKey);
      if (known) return { grant: grantFromRow(known), created: false, requestHash: known.request_hash };
      try {
        const grant = await db.transaction().execute(async (trx) => {
          const baseline = await lockedCounter(trx, input.customerId, input.operation, input.periodStart);
          const grant = grantRecord(input, baseline);
          await trx
            .insertInto('grants')
            .values({ ...grantToRow(grant), request_hash: input.requestHash })
            .execute();
          return grant;
        });
        return { grant, created: true, requestHash: input.requestHash };
      } catch (error) {
        const translated = translateUniqueViolation(error);
        // Two makers with one key at once (PostgreSQL): the one that lost answers with the winner's grant.
        if (translated instanceof ConflictError) {
          const winner = await findByKey(input.customerId, input.idempotencyKey);
          if (winner)
            return { grant: grantFromRow(winner), created: false, requestHash: winner.request_hash };
        }
        throw translated;
      }
    },

    async revokeGrant(revocation) {
      return db.transaction().execute(async (trx) => {
        const row = await trx
          .selectFrom('grants')
          .selectAll()
          .where('id', '=', revocation.grantId)
          .where('customer_id', '=', revocation.customerId)
          .forUpdate()
          .executeTakeFirst();
        if (!row) return undefined;
        const grant = grantFromRow(row);
        if (grant.revokedAt !== null) return grant;
        const used = await lockedCounter(trx, grant.customerId, grant.operation, revocation.periodStart);
        const unspent = unspentOf(revocation, grant, used);
        await trx
          .updateTable('grants')
          .set({
            revoked_at: revocation.revokedAt,
            revoked_by: revocation.revokedBy,
            revoked_amount: unspent,
          })
          .where('id', '=', grant.id)
          .execute();
        return { ...grant, revokedAt: revocation.revokedAt, revokedAmount: unspent };
      });
    },
  };
}

export function grantToRow(
  grant: Grant,
): Omit<GrantsTable, 'request_hash' | 'revoked_by' | 'revoked_amount'> {
  return {
    id: grant.id,
    customer_id: grant.customerId,
    operation: grant.operation,
    amount: grant.amount,
    expires: grant.expires,
    expires_at: grant.expiresAt,
    period_start: grant.periodStart,
    baseline: grant.baseline,
    created_at: grant.createdAt,
    created_by: grant.createdBy,
    reason: grant.reason,
    idempotency_key: grant.idempotencyKey,
    revoked_at: grant.revokedAt,
  };
}

export function grantFromRow(row: Selectable<GrantsTable>): Grant {
  return {
    id: row.id,
    customerId: row.customer_id,
    operation: row.operation,
    amount: row.amount,
    expires: row.expires === 'period' ? 'period' : 'until_used',
    expiresAt: row.expires_at,
    periodStart: row.period_start,
    baseline: row.baseline,
    createdAt: row.created_at,
    createdBy: row.created_by,
    reason: row.reason,
    idempotencyKey: row.idempotency_key,
    revokedAt: row.revoked_at,
    revokedAmount: row.revoked_amount,
  };
}

/** The grant a NewGrant becomes with its baseline. */
export function grantRecord(input: NewGrant, baseline: number): Grant {
  return {
    id: input.id,
    customerId: input.customerId,
    operation: input.operation,
    amount: input.amount,
    expires: input.expires,
    expiresAt: input.expiresAt,
    periodStart: input.periodStart,
    baseline,
    createdAt: input.createdAt,
    createdBy: input.createdBy,
    reason: input.reason,
    idempotencyKey: input.idempotencyKey,
    revokedAt: null,
    revokedAmount: 0,
  };
}

/** What a revoke takes back: the engine's figure, kept within the grant. */
export function unspentOf(revocation: GrantRevocation, grant: Grant, used: number): number {
  return Math.max(0, Math.min(grant.amount, revocation.unspent(grant, used)));
}
