/**
 * The meter outbox's Store methods (claim, mark sent or failed, list), shared by both dialects except
 * the claim: PostgreSQL claims in one statement that skips rows another sender holds
 * (`FOR UPDATE SKIP LOCKED`); SQLite has one writer at a time, and its claim is one UPDATE ... RETURNING.
 * Rows are written by `commitUsage` (see meter-windows.ts); nothing here is on the usage hot path.
 */
import { type Kysely, type Selectable, sql } from 'kysely';
import type { MeterWindow, Store } from '../core/ports.js';
import type { Database, MeterOutboxTable } from './database.js';

export type MeterOutboxQueries = Pick<
  Store,
  'claimMeterWindows' | 'markMeterWindowSent' | 'markMeterWindowFailed' | 'listMeterWindows'
>;

type OutboxRow = Selectable<MeterOutboxTable> & { stripe_customer_id: string | null };

/** Errors are kept for the admin view, not for debugging a stack: the first line, bounded. */
const maxErrorLength = 500;

export function createMeterOutboxQueries(
  db: Kysely<Database>,
  dialect: 'sqlite' | 'postgres',
): MeterOutboxQueries {
  return {
    async claimMeterWindows({ now, closedBy, limit, leaseMs }) {
      const claimedUntil = now + leaseMs;
      if (dialect === 'postgres') {
        const result = await sql<OutboxRow>`
          UPDATE meter_outbox AS o
          SET claimed_until = ${claimedUntil}, sending_value = coalesce(o.sending_value, o.value)
          FROM (
            SELECT m.customer_id, m.meter, m.window_start, c.stripe_customer_id
            FROM meter_outbox AS m JOIN customers AS c ON c.id = m.customer_id
            WHERE m.status = 'pending' AND m.window_end <= ${closedBy} AND m.next_attempt_at <= ${now}
              AND m.claimed_until <= ${now} AND c.stripe_customer_id IS NOT NULL
            ORDER BY m.window_end, m.customer_id
            LIMIT ${limit}
            FOR UPDATE OF m SKIP LOCKED
          ) AS picked
          WHERE o.customer_id = picked.customer_id AND o.meter = picked.meter AND o.window_start = picked.window_start
          RETURNING o.*, picked.stripe_customer_id`.execute(db);
        return result.rows.map(meterWindowFromRow).sort(byWindowEnd);
      }
      // One statement, so the write lock is never held across an await (another connection of this
      // process would block the thread waiting for it).
      const result = await sql<OutboxRow>`
        UPDATE meter_outbox
        SET claimed_until = ${claimedUntil}, sending_value = coalesce(sending_value, value)
        WHERE rowid IN (
          SELECT m.rowid FROM meter_outbox AS m JOIN customers AS c ON c.id = m.customer_id
          WHERE m.status = 'pending' AND m.window_end <= ${closedBy} AND m.next_attempt_at <= ${now}
            AND m.claimed_until <= ${now} AND c.stripe_customer_id IS NOT NULL
          ORDER BY m.window_end, m.customer_id
          LIMIT ${limit}
        )
        RETURNING *, (SELECT stripe_customer_id FROM customers AS c WHERE c.id = meter_outbox.customer_id)
          AS stripe_customer_id`.execute(db);
      return result.rows.map(meterWindowFromRow).sort(byWindowEnd);
    },

    async markMeterWindowSent(window, sentAt) {
      // Usage committed after the claim (value grew past what was sent) keeps the row pending.
      await db
        .updateTable('meter_outbox')
        .set(() => ({
          sent_value: sql<number>`sending_value`,
          sending_value: null,
          status: sql<string>`case when value > sending_value then 'pending' else 'sent' end`,
          sent_at: sentAt,
          claimed_until: 0,
          next_attempt_at: 0,
          last_error: null,
        }))
        .where('customer_id', '=', window.customerId)
        .where('meter', '=', window.meter)
        .where('window_start', '=', window.windowStart)
        .where('sending_value', 'is not', null)
        .execute();
    },

    async markMeterWindowFailed(window, error, nextAttemptAt) {
      await db
        .updateTable('meter_outbox')
        .set((eb) => ({
          attempts: eb('attempts', '+', 1),
          last_error: (error.split('\n', 1)[0] ?? '').slice(0, maxErrorLength),
          next_attempt_at: nextAttemptAt,
          claimed_until: 0,
        }))
        .where('customer_id', '=', window.customerId)
        .where('meter', '=', window.meter)
        .where('window_start', '=', window.windowStart)
        .execute();
    },

    async listMeterWindows(filter) {
      let query = db
        .selectFrom('meter_outbox as m')
        .leftJoin('customers as c', 'c.id', 'm.customer_id')
        .selectAll('m')
        .select('c.stripe_customer_id');
      if (filter.customerId !== undefined) query = query.where('m.customer_id', '=', filter.customerId);
      if (filter.status !== undefined) query = query.where('m.status', '=', filter.status);
      const rows = await query
        .orderBy('m.window_start')
        .orderBy('m.customer_id')
        .limit(filter.limit)
        .execute();
      return rows.map(meterWindowFromRow);
    },
  };
}

function meterWindowFromRow(row: OutboxRow): MeterWindow {
  return {
    customerId: row.customer_id,
    meter: row.meter,
    windowStart: Number(row.window_start),
    windowEnd: Number(row.window_end),
    value: Number(row.value),
    sentValue: Number(row.sent_value),
    sendingValue: row.sending_value === null ? null : Number(row.sending_value),
    status: row.status === 'sent' ? 'sent' : 'pending',
    attempts: Number(row.attempts),
    nextAttemptAt: Number(row.next_attempt_at),
    lastError: row.last_error,
    sentAt: row.sent_at === null ? null : Number(row.sent_at),
    stripeCustomerId: row.stripe_customer_id,
  };
}

function byWindowEnd(a: MeterWindow, b: MeterWindow): number {
  return (
    a.windowEnd - b.windowEnd || (a.customerId < b.customerId ? -1 : a.customerId > b.customerId ? 1 : 0)
  );
}
