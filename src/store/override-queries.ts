/**
 * Customer overrides (migration 009), written with their audit entry in one transaction. The
 * customer's row is locked first (PostgreSQL; SQLite's BEGIN IMMEDIATE already serializes writers),
 * so two admins changing one customer at once each audit the state the other left.
 */
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { AuditEntry } from '../core/billing/billing-records.js';
import type { CustomerOverride } from '../core/contract/overrides.js';
import { newId } from '../core/ids.js';
import type { Store } from '../core/ports.js';
import type { CustomerOverridesTable, Database } from './database.js';

export type OverrideQueries = Pick<Store, 'listCustomerOverrides' | 'changeCustomerOverrides'>;

export function overrideFromRow(row: Selectable<CustomerOverridesTable>): CustomerOverride {
  return {
    customerId: row.customer_id,
    key: row.key,
    value: JSON.parse(row.value) as CustomerOverride['value'],
    expiresAt: row.expires_at,
    reason: row.reason,
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedBy: row.updated_by,
    updatedAt: row.updated_at,
  };
}

async function listOverrides(db: Kysely<Database>, customerId: string): Promise<CustomerOverride[]> {
  const rows = await db
    .selectFrom('customer_overrides')
    .selectAll()
    .where('customer_id', '=', customerId)
    .orderBy('key')
    .execute();
  return rows.map(overrideFromRow);
}

export function createOverrideQueries(db: Kysely<Database>, dialect: 'sqlite' | 'postgres'): OverrideQueries {
  return {
    listCustomerOverrides: (customerId) => listOverrides(db, customerId),

    async changeCustomerOverrides(change) {
      return db.transaction().execute(async (trx: Transaction<Database>) => {
        let lock = trx.selectFrom('customers').select('id').where('id', '=', change.customerId);
        if (dialect === 'postgres') lock = lock.forUpdate();
        if (!(await lock.executeTakeFirst())) return undefined;
        const before = await listOverrides(trx, change.customerId);
        if (change.remove === 'all') {
          await trx.deleteFrom('customer_overrides').where('customer_id', '=', change.customerId).execute();
        } else if (change.remove.length > 0) {
          await trx
            .deleteFrom('customer_overrides')
            .where('customer_id', '=', change.customerId)
            .where('key', 'in', [...change.remove])
            .execute();
        }
        for (const override of change.set) {
          await trx
            .insertInto('customer_overrides')
            .values({
              customer_id: change.customerId,
              key: override.key,
              value: JSON.stringify(override.value),
              expires_at: override.expiresAt,
              reason: override.reason,
              created_by: override.createdBy,
              created_at: override.createdAt,
              updated_by: override.updatedBy,
              updated_at: override.updatedAt,
            })
            .onConflict((conflict) =>
              conflict.columns(['customer_id', 'key']).doUpdateSet((eb) => ({
                value: eb.ref('excluded.value'),
                expires_at: eb.ref('excluded.expires_at'),
                reason: eb.ref('excluded.reason'),
                updated_by: eb.ref('excluded.updated_by'),
                updated_at: eb.ref('excluded.updated_at'),
              })),
            )
            .execute();
        }
        const after = await listOverrides(trx, change.customerId);
        const entry = change.audit(before, after);
        const audit: AuditEntry = { id: newId('aud', entry.at), ...entry };
        await trx
          .insertInto('audit_log')
          .values({
            id: audit.id,
            at: audit.at,
            actor: audit.actor,
            action: audit.action,
            customer_id: audit.customerId,
            details: JSON.stringify(audit.details),
          })
          .execute();
        return { before, after, audit };
      });
    },
  };
}
