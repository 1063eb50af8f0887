/**
 * Dashboard links and billing sessions, written once with Kysely for both databases. A link is used
 * by ONE conditional UPDATE ... RETURNING: the database decides which of several concurrent
 * exchanges wins (the row lock on PostgreSQL, the single writer on SQLite), never a read followed by
 * a write in JS.
 */
import { type Kysely, sql } from 'kysely';
import type { DashboardDisplay, DashboardToken, DashboardTokenKind, Store } from '../core/ports.js';
import type { DashboardTokensTable, Database } from './database.js';

export type DashboardTokenQueries = Pick<
  Store,
  'createDashboardToken' | 'consumeDashboardLink' | 'findDashboardSession'
>;

const tokenFromRow = (row: DashboardTokensTable): DashboardToken => ({
  tokenHash: row.token_hash,
  customerId: row.customer_id,
  kind: row.kind as DashboardTokenKind,
  expiresAt: row.expires_at,
  usedAt: row.used_at,
  returnUrl: row.return_url,
  display: { embed: false, theme: null, ...(JSON.parse(row.display) as Partial<DashboardDisplay>) },
  apiKeyId: row.api_key_id,
  createdAt: row.created_at,
});

export function createDashboardTokenQueries(db: Kysely<Database>): DashboardTokenQueries {
  return {
    async createDashboardToken(token) {
      await db
        .insertInto('dashboard_tokens')
        .values({
          token_hash: token.tokenHash,
          customer_id: token.customerId,
          kind: token.kind,
          expires_at: token.expiresAt,
          used_at: token.usedAt,
          return_url: token.returnUrl,
          display: JSON.stringify(token.display),
          api_key_id: token.apiKeyId,
          created_at: token.createdAt,
        })
        .execute();
    },

    async consumeDashboardLink(tokenHash, now) {
      const row = await db
        .updateTable('dashboard_tokens')
        .set({ used_at: now })
        .where('token_hash', '=', tokenHash)
        .where('kind', '=', 'link')
        .where('used_at', 'is', null)
        .where('expires_at', '>', now)
        .returningAll()
        .executeTakeFirst();
      return row && tokenFromRow(row);
    },

    async findDashboardSession(tokenHash, now) {
      const row = await db
        .selectFrom('dashboard_tokens as t')
        .innerJoin('customers as c', 'c.id', 't.customer_id')
        .selectAll('t')
        .where('t.token_hash', '=', tokenHash)
        .where('t.kind', '=', 'session')
        .where('t.expires_at', '>', now)
        // The key that opened the session must still be valid: revoking it ends the session.
        .where((eb) =>
          eb.or([
            eb('t.api_key_id', 'is', null),
            eb.exists(
              eb
                .selectFrom('api_keys as k')
                .select(sql`1`.as('one'))
                .whereRef('k.id', '=', 't.api_key_id')
                .where('k.revoked_at', 'is', null),
            ),
          ]),
        )
        .executeTakeFirst();
      return row && tokenFromRow(row);
    },
  };
}
