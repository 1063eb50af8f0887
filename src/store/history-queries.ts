/**
 * The queries behind the history charts: a customer's usage in time buckets, paid invoices by
 * month, and the daily revenue snapshots. Grouping happens in the database (integer arithmetic only:
 * SUM of integers, integer division for buckets), so a period of a million events costs one grouped
 * read, not a million rows in JS. Only the UTC-month expression differs between the two databases.
 */
import { type Kysely, sql } from 'kysely';
import type { Store } from '../core/ports.js';
import type { Database } from './database.js';

export type HistoryQueries = Pick<
  Store,
  'usageTotals' | 'sumPaidInvoicesByMonth' | 'upsertRevenueSnapshot' | 'listRevenueSnapshots'
>;

/** `usageTotals` takes an integer start and a positive integer bucket length (ms). */
export function checkBuckets(from: number, bucketMs: number): void {
  if (!Number.isSafeInteger(bucketMs) || bucketMs <= 0 || !Number.isSafeInteger(from))
    throw new TypeError(`from and bucketMs must be integers (bucketMs positive): ${from}, ${bucketMs}`);
}

export function createHistoryQueries(db: Kysely<Database>, dialect: 'sqlite' | 'postgres'): HistoryQueries {
  // `YYYY-MM` of an epoch-ms column, UTC. The division is integer division on both databases.
  const utcMonth =
    dialect === 'postgres'
      ? sql<string>`to_char(to_timestamp(paid_at / 1000) at time zone 'UTC', 'YYYY-MM')`
      : sql<string>`strftime('%Y-%m', paid_at / 1000, 'unixepoch')`;

  return {
    async usageTotals(customerId, from, to, bucketMs) {
      checkBuckets(from, bucketMs);
      // Only the events counted in the period that starts at `from` (its counter's key), bucketed by
      // recorded_at: the buckets then add up to the period counter, even for events sent with an
      // earlier timestamp, and usage counted in the period a plan change ended stays out although it
      // was recorded after the new period's start.
      const bucket = sql<number>`(recorded_at - cast(${from} as bigint)) / cast(${bucketMs} as bigint)`;
      const rows = await db
        .selectFrom('usage_events')
        .select([
          bucket.as('bucket'),
          (eb) => eb.fn.sum<number | string>('cost').as('credits'),
          (eb) => eb.fn.countAll<number | string>().as('events'),
        ])
        .where('customer_id', '=', customerId)
        .where('period_start', '=', from)
        .where('recorded_at', '>=', from)
        .where('recorded_at', '<', to)
        // By the output name: the expression's parameters would be numbered anew, and PostgreSQL would
        // not see it as the selected one.
        .groupBy(sql`bucket`)
        .orderBy(sql`bucket`)
        .execute();
      return rows.map((row) => ({
        start: from + Number(row.bucket) * bucketMs,
        credits: Number(row.credits),
        events: Number(row.events),
      }));
    },

    async sumPaidInvoicesByMonth(currency, from, to) {
      const rows = await db
        .selectFrom('invoices')
        .select([utcMonth.as('month'), (eb) => eb.fn.sum<number | string>('amount_paid').as('amount')])
        .where('paid_at', 'is not', null)
        .where('paid_at', '>=', from)
        .where('paid_at', '<', to)
        .where(sql<boolean>`lower(currency) = ${currency.toLowerCase()}`)
        .groupBy(sql`month`)
        .orderBy(sql`month`)
        .execute();
      return rows.map((row) => ({ month: row.month, amount: Number(row.amount) }));
    },

    async upsertRevenueSnapshot(snapshot) {
      const row = {
        day: snapshot.day,
        mrr: snapshot.mrr,
        paying_customers: snapshot.payingCustomers,
        subscriptions: snapshot.subscriptions,
        by_tier: JSON.stringify(snapshot.byTier),
        updated_at: snapshot.updatedAt,
      };
      const { day: _day, ...changes } = row;
      await db
        .insertInto('revenue_snapshots')
        .values(row)
        .onConflict((conflict) => conflict.column('day').doUpdateSet(changes))
        .execute();
    },

    async listRevenueSnapshots(fromDay, toDay) {
      const rows = await db
        .selectFrom('revenue_snapshots')
        .selectAll()
        .where('day', '>=', fromDay)
        .where('day', '<=', toDay)
        .orderBy('day')
        .execute();
      return rows.map((row) => ({
        day: row.day,
        mrr: Number(row.mrr),
        payingCustomers: Number(row.paying_customers),
        subscriptions: Number(row.subscriptions),
        byTier: JSON.parse(row.by_tier) as Record<string, number>,
        updatedAt: Number(row.updated_at),
      }));
    },
  };
}
