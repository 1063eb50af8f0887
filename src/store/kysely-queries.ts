/**
 * The Store methods that are ordinary queries, written once with Kysely for both dialects. Each store
 * adds what differs: migrations, closing, the batched `touchApiKeys` and the `commitUsage` hot path.
 */
import { type Kysely, sql, type Updateable } from 'kysely';
import type { Reservation, Store, WindowDebit } from '../core/ports.js';
import type { BillingEventQueries } from './billing-event-queries.js';
import type { CustomerPriceQueries } from './customer-price-queries.js';
import type { DashboardTokenQueries } from './dashboard-token-queries.js';
import type { ApiKeysTable, Database } from './database.js';
import { translateUniqueViolation } from './errors.js';
import type { GrantQueries } from './grant-queries.js';
import type { HistoryQueries } from './history-queries.js';
import { newestFirstAfter, page } from './keyset-paging.js';
import type { MeterOutboxQueries } from './meter-outbox-queries.js';
import type { OverrideQueries } from './override-queries.js';
import {
  apiKeyFromRow,
  apiKeyToRow,
  customerFromRow,
  customerPatchToRow,
  customerToRow,
  keyLimitsToRow,
  newCustomerRecord,
  usageEventFromRow,
} from './rows.js';
import type { StripeCatalogQueries } from './stripe-catalog-queries.js';
import type { SubscriptionCountQueries } from './subscription-count-queries.js';
import type { SubscriptionQueries } from './subscription-queries.js';

export type KyselyQueries = Omit<
  Store,
  | 'migrate'
  | 'close'
  | 'commitUsage'
  | 'touchApiKeys'
  | keyof BillingEventQueries
  | keyof MeterOutboxQueries
  | keyof StripeCatalogQueries
  | keyof SubscriptionCountQueries
  | keyof SubscriptionQueries
  | keyof DashboardTokenQueries
  | keyof HistoryQueries
  | keyof OverrideQueries
  | 'customerChanges'
  | keyof GrantQueries
  | keyof CustomerPriceQueries
>;

export function createKyselyQueries(db: Kysely<Database>): KyselyQueries {
  async function getApiKey(id: string) {
    const row = await db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
    return row && apiKeyFromRow(row);
  }

  return {
    async ping() {
      await sql`select 1`.execute(db);
    },

    async createCustomer(input) {
      const customer = newCustomerRecord(input);
      try {
        await db.insertInto('customers').values(customerToRow(customer)).execute();
      } catch (error) {
        throw translateUniqueViolation(error);
      }
      return customer;
    },

    async getCustomer(id) {
      const row = await db.selectFrom('customers').selectAll().where('id', '=', id).executeTakeFirst();
      return row && customerFromRow(row);
    },

    async getCustomerByExternalId(externalId) {
      const row = await db
        .selectFrom('customers')
        .selectAll()
        .where('external_id', '=', externalId)
        .executeTakeFirst();
      return row && customerFromRow(row);
    },

    async getCustomerByStripeId(stripeCustomerId) {
      const row = await db
        .selectFrom('customers')
        .selectAll()
        .where('stripe_customer_id', '=', stripeCustomerId)
        .executeTakeFirst();
      return row && customerFromRow(row);
    },

    async updateCustomer(id, patch) {
      try {
        const row = await db
          .updateTable('customers')
          .set(customerPatchToRow(patch))
          .where('id', '=', id)
          .returningAll()
          .executeTakeFirst();
        return row && customerFromRow(row);
      } catch (error) {
        throw translateUniqueViolation(error);
      }
    },

    async listCustomers(filter) {
      let query = db.selectFrom('customers').selectAll();
      if (filter.plan !== undefined) query = query.where('plan', '=', filter.plan);
      const cutoff = filter.suspendedIfFailedBy;
      if (filter.status === 'suspended' && cutoff !== undefined) {
        query = query.where((eb) =>
          eb.or([
            eb('status', '=', 'suspended'),
            eb.and([eb('status', '=', 'past_due'), eb('payment_failed_at', '<=', cutoff)]),
          ]),
        );
      } else if (filter.status === 'past_due' && cutoff !== undefined) {
        query = query.where((eb) =>
          eb.and([
            eb('status', '=', 'past_due'),
            eb.or([eb('payment_failed_at', 'is', null), eb('payment_failed_at', '>', cutoff)]),
          ]),
        );
      } else if (filter.status !== undefined) query = query.where('status', '=', filter.status);
      const descending = filter.order === 'desc';
      // The sort key before id, on the customers row named `table`; none for `created` (id alone).
      // Name (else email, else id) and email lower-cased, no email as ''; the status as it stands now with the cutoff,
      // as the status filter above reads it (a past_due row out of grace is suspended).
      const sortBy = filter.sortBy ?? 'created';
      const sortKey =
        sortBy === 'created'
          ? undefined
          : (table: string) => {
              const column = (name: string) => sql.ref(`${table}.${name}`);
              // A customer is shown by name, else email, else id: `name` sorts by what is shown.
              if (sortBy === 'name')
                return sql<string>`lower(coalesce(${column('name')}, ${column('email')}, ${column('id')}))`;
              if (sortBy === 'email') return sql<string>`coalesce(lower(${column('email')}), '')`;
              if (sortBy === 'status' && cutoff !== undefined) {
                return sql<string>`case when ${column('status')} = 'past_due' and ${column('payment_failed_at')} <= ${cutoff} then 'suspended' else ${column('status')} end`;
              }
              return sql<string>`${column(sortBy)}`;
            };
      if (filter.after !== undefined && sortKey === undefined) {
        query = query.where('id', descending ? '<' : '>', filter.after);
      } else if (filter.after !== undefined && sortKey !== undefined) {
        // Keyset paging on (key, id) past the `after` customer's own (key, id), read with a subquery
        // so the caller passes only the id. Row values: SQLite >= 3.15 and PostgreSQL.
        query = query.where(
          sql<boolean>`(${sortKey('customers')}, ${sql.ref('customers.id')}) ${sql.raw(descending ? '<' : '>')} (select ${sortKey('after_row')}, ${sql.ref('after_row.id')} from customers as after_row where ${sql.ref('after_row.id')} = ${filter.after})`,
        );
      }
      if (filter.search !== undefined && filter.search !== '') {
        // Substring match on lower-cased text; LIKE wildcards in the search are matched literally.
        const pattern = `%${filter.search.toLowerCase().replace(/[\\%_]/g, '\\$&')}%`;
        query = query.where((eb) =>
          eb.or(
            (['id', 'external_id', 'email', 'name'] as const).map(
              (column) => sql<boolean>`lower(${sql.ref(column)}) like ${pattern} escape '\\'`,
            ),
          ),
        );
      }
      const direction = descending ? 'desc' : 'asc';
      if (sortKey !== undefined) query = query.orderBy(sortKey('customers'), direction);
      const rows = await query
        .orderBy('id', direction)
        .limit(filter.limit + 1)
        .execute();
      return {
        customers: rows.slice(0, filter.limit).map(customerFromRow),
        hasMore: rows.length > filter.limit,
      };
    },

    async createApiKey(key) {
      try {
        await db.insertInto('api_keys').values(apiKeyToRow(key)).execute();
      } catch (error) {
        throw translateUniqueViolation(error);
      }
    },

    async findApiKeyByHash(hash) {
      const row = await db.selectFrom('api_keys').selectAll().where('hash', '=', hash).executeTakeFirst();
      return row && apiKeyFromRow(row);
    },

    async listApiKeys(customerId) {
      const rows = await db
        .selectFrom('api_keys')
        .selectAll()
        .where('customer_id', '=', customerId)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      return rows.map(apiKeyFromRow);
    },

    getApiKey,

    async updateApiKey(id, patch) {
      const set: Updateable<ApiKeysTable> = {};
      if (patch.name !== undefined) set.name = patch.name;
      if (patch.owner !== undefined) set.owner = patch.owner;
      if (patch.limits !== undefined) Object.assign(set, keyLimitsToRow(patch.limits));
      if (Object.keys(set).length === 0) return getApiKey(id);
      if (patch.limits === undefined) {
        const row = await db
          .updateTable('api_keys')
          .set(set)
          .where('id', '=', id)
          .returningAll()
          .executeTakeFirst();
        return row && apiKeyFromRow(row);
      }
      // New limits: the key's credit counters go, so its next limited debit counts again from its events
      // (usage recorded while the key had no credit limit never reached a counter).
      return db.transaction().execute(async (transaction) => {
        const row = await transaction
          .updateTable('api_keys')
          .set(set)
          .where('id', '=', id)
          .returningAll()
          .executeTakeFirst();
        await transaction.deleteFrom('key_counters').where('key_id', '=', id).execute();
        return row && apiKeyFromRow(row);
      });
    },

    async sumUsageByKey(customerId, periodStart) {
      // Events of a period are recorded at or after its start: the range keeps to the customer's index.
      const rows = await db
        .selectFrom('usage_events')
        .select((eb) => [
          'key_id',
          eb.fn.sum<number>('cost').as('cost'),
          eb.fn.countAll<number>().as('events'),
        ])
        .where('customer_id', '=', customerId)
        .where('recorded_at', '>=', periodStart)
        .where('period_start', '=', periodStart)
        .groupBy('key_id')
        .orderBy('key_id')
        .execute();
      return rows.map((row) => ({
        keyId: row.key_id,
        cost: Number(row.cost ?? 0),
        events: Number(row.events),
      }));
    },

    async revokeApiKey(id, revokedAt) {
      // A second revocation keeps the first time: that is when the key stopped working.
      const row = await db
        .updateTable('api_keys')
        .set((eb) => ({ revoked_at: eb.fn.coalesce('revoked_at', eb.val(revokedAt)) }))
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
      return row && apiKeyFromRow(row);
    },

    async getPeriodUsage(customerId, periodStart) {
      const row = await db
        .selectFrom('usage_counters')
        .select(['used', 'overage'])
        .where('customer_id', '=', customerId)
        .where('period_start', '=', periodStart)
        .executeTakeFirst();
      return { customerId, periodStart, used: row?.used ?? 0, overage: row?.overage ?? 0 };
    },

    async listUsageEvents(customerId, from, to, limit) {
      const rows = await db
        .selectFrom('usage_events')
        .selectAll()
        .where('customer_id', '=', customerId)
        .where('recorded_at', '>=', from)
        .where('recorded_at', '<', to)
        .orderBy('recorded_at')
        .orderBy('id')
        .limit(limit)
        .execute();
      return rows.map(usageEventFromRow);
    },

    async pageUsageEvents(customerId, options) {
      const query = db.selectFrom('usage_events').selectAll().where('customer_id', '=', customerId);
      const rows = await newestFirstAfter(query, 'usage_events', 'recorded_at', options.after)
        .limit(options.limit + 1)
        .execute();
      const { items, hasMore } = page(rows, options.limit);
      return { events: items.map(usageEventFromRow), hasMore };
    },

    async findUsageEvent(customerId, idempotencyKey) {
      const row = await db
        .selectFrom('usage_events')
        .selectAll()
        .where('customer_id', '=', customerId)
        .where('idempotency_key', '=', idempotencyKey)
        .executeTakeFirst();
      return row === undefined ? undefined : usageEventFromRow(row);
    },

    async getReservation(id, now) {
      const row = await db.selectFrom('reservations').selectAll().where('id', '=', id).executeTakeFirst();
      if (row === undefined) return undefined;
      const status = row.status as Reservation['status'];
      return {
        id: row.id,
        customerId: row.customer_id,
        operation: row.operation,
        quantity: Number(row.quantity),
        cost: Number(row.cost),
        periodStart: Number(row.period_start),
        limit: row.credit_limit === null ? null : Number(row.credit_limit),
        included: row.included === null ? null : Number(row.included),
        windows: JSON.parse(row.windows) as WindowDebit[],
        status: status === 'held' && Number(row.expires_at) <= now ? 'expired' : status,
        expiresAt: Number(row.expires_at),
        createdAt: Number(row.created_at),
        settledQuantity: row.settled_quantity === null ? null : Number(row.settled_quantity),
        eventId: row.event_id,
        closedAt: row.closed_at === null ? null : Number(row.closed_at),
      };
    },

    async getWindowUsage(customerId, windows) {
      if (windows.length === 0) return [];
      const rows = await db
        .selectFrom('operation_counters')
        .select(['operation', 'window_name', 'window_start', 'used', 'overage'])
        .where('customer_id', '=', customerId)
        .where((eb) =>
          eb.or(
            windows.map((key) =>
              eb.and([
                eb('operation', '=', key.operation),
                eb('window_name', '=', key.window),
                eb('window_start', '=', key.start),
              ]),
            ),
          ),
        )
        .execute();
      const found = new Map(
        rows.map((row) => [`${row.operation}\u0000${row.window_name}\u0000${Number(row.window_start)}`, row]),
      );
      return windows.map((key) => {
        const row = found.get(`${key.operation}\u0000${key.window}\u0000${key.start}`);
        return { used: Number(row?.used ?? 0), overage: Number(row?.overage ?? 0) };
      });
    },

    async sumOperationQuantities(customerId, periodStart) {
      // Events of a period are recorded at or after its start: the range keeps to the customer's index.
      const rows = await db
        .selectFrom('usage_events')
        .select((eb) => ['operation', eb.fn.sum<number>('quantity').as('quantity')])
        .where('customer_id', '=', customerId)
        .where('recorded_at', '>=', periodStart)
        .where('period_start', '=', periodStart)
        .groupBy('operation')
        .execute();
      return Object.fromEntries(rows.map((row) => [row.operation, Number(row.quantity)]));
    },

    async sumUsageEvents(customerId, periodStart) {
      const row = await db
        .selectFrom('usage_events')
        .select((eb) => [eb.fn.sum<number>('cost').as('cost'), eb.fn.countAll<number>().as('events')])
        .where('customer_id', '=', customerId)
        .where('period_start', '=', periodStart)
        .executeTakeFirstOrThrow();
      return { cost: Number(row.cost ?? 0), events: Number(row.events) };
    },
  };
}
