/**
 * Negotiated prices (migration 010), written once with Kysely for both databases. A change retires the
 * active row and inserts the new one with its audit entry in one transaction; the partial unique index
 * (one active row per customer, plan and interval) turns a concurrent second insert into a conflict.
 */
import type { Kysely, Transaction } from 'kysely';
import type { NewAuditEntry } from '../core/billing/billing-records.js';
import type { CustomerPrice } from '../core/billing/custom-prices.js';
import { TollgateError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import type { BillingInterval, Store } from '../core/ports.js';
import { insertAudit } from './billing-event-queries.js';
import type { CustomerPricesTable, Database } from './database.js';
import { ConflictError, translateUniqueViolation } from './errors.js';

export type CustomerPriceQueries = Pick<
  Store,
  'saveCustomerPrice' | 'removeCustomerPrice' | 'listCustomerPrices'
>;

const customerPriceFromRow = (row: CustomerPricesTable): CustomerPrice => ({
  id: row.id,
  customerId: row.customer_id,
  planId: row.plan_id,
  interval: row.interval as BillingInterval,
  amount: row.amount,
  currency: row.currency,
  stripePriceId: row.stripe_price_id,
  reason: row.reason,
  createdBy: row.created_by,
  createdAt: row.created_at,
  removedBy: row.removed_by,
  removedAt: row.removed_at,
});

const insertNewAudit = (trx: Transaction<Database>, entry: NewAuditEntry): Promise<void> =>
  insertAudit(trx, { id: newId('aud', entry.at), ...entry });

const changedMeanwhile = () =>
  new TollgateError('conflict', "The customer's price was changed meanwhile; read it again and retry.");

export function createCustomerPriceQueries(db: Kysely<Database>): CustomerPriceQueries {
  return {
    async saveCustomerPrice(price, replaces, audit) {
      try {
        await db.transaction().execute(async (trx) => {
          if (replaces !== null) {
            const retired = await trx
              .updateTable('customer_prices')
              .set({ removed_at: price.createdAt, removed_by: price.createdBy })
              .where('id', '=', replaces)
              .where('removed_at', 'is', null)
              .executeTakeFirst();
            if (retired.numUpdatedRows !== 1n) throw changedMeanwhile();
          }
          await trx
            .insertInto('customer_prices')
            .values({
              id: price.id,
              customer_id: price.customerId,
              plan_id: price.planId,
              interval: price.interval,
              amount: price.amount,
              currency: price.currency,
              stripe_price_id: price.stripePriceId,
              reason: price.reason,
              created_by: price.createdBy,
              created_at: price.createdAt,
              removed_by: null,
              removed_at: null,
            })
            .execute();
          await insertNewAudit(trx, audit);
        });
      } catch (error) {
        const translated = translateUniqueViolation(error);
        // The partial index: another active price for the plan and interval was inserted meanwhile.
        if (translated instanceof ConflictError) throw changedMeanwhile();
        throw translated;
      }
    },

    async removeCustomerPrice(id, removedAt, removedBy, audit) {
      return db.transaction().execute(async (trx) => {
        const removed = await trx
          .updateTable('customer_prices')
          .set({ removed_at: removedAt, removed_by: removedBy })
          .where('id', '=', id)
          .where('removed_at', 'is', null)
          .executeTakeFirst();
        if (removed.numUpdatedRows !== 1n) return false;
        await insertNewAudit(trx, audit);
        return true;
      });
    },

    async listCustomerPrices(filter) {
      let query = db.selectFrom('customer_prices').selectAll();
      if (filter.customerId !== undefined) query = query.where('customer_id', '=', filter.customerId);
      if (filter.includeRemoved !== true) query = query.where('removed_at', 'is', null);
      const rows = await query.orderBy('created_at').orderBy('id').execute();
      return rows.map(customerPriceFromRow);
    },
  };
}
