/**
 * The Stripe ids `tollgate plans push` created, per plan and kind, so a later push and the billing
 * flows find them without asking Stripe. One row per (plan, kind); a new id replaces the old one.
 */
import type { Kysely } from 'kysely';
import type { Store, StripeCatalogIds, StripePlanIds } from '../core/ports.js';
import type { Database } from './database.js';

export type StripeCatalogQueries = Pick<Store, 'saveStripeCatalogIds' | 'getStripeCatalogIds'>;

type SingleKind = Exclude<keyof StripePlanIds, 'operations'>;
const kinds: ReadonlyArray<SingleKind> = ['product', 'month', 'year', 'overage', 'meter'];
/** An operation's price and meter are rows of kind `overage:<operation>` and `meter:<operation>`. */
const operationKind = /^(overage|meter):(.+)$/;

export function createStripeCatalogQueries(db: Kysely<Database>): StripeCatalogQueries {
  return {
    async saveStripeCatalogIds(ids, updatedAt) {
      const rows = Object.entries(ids).flatMap(([planId, planIds]) => {
        const pairs: [string, string | undefined][] = kinds.map((kind) => [kind, planIds[kind]]);
        for (const [operation, { price, meter }] of Object.entries(planIds.operations ?? {})) {
          pairs.push([`overage:${operation}`, price], [`meter:${operation}`, meter]);
        }
        return pairs.flatMap(([kind, stripeId]) =>
          stripeId === undefined
            ? []
            : [{ plan_id: planId, kind, stripe_id: stripeId, updated_at: updatedAt }],
        );
      });
      if (rows.length === 0) return;
      await db
        .insertInto('stripe_catalog')
        .values(rows)
        .onConflict((conflict) =>
          conflict.columns(['plan_id', 'kind']).doUpdateSet((eb) => ({
            stripe_id: eb.ref('excluded.stripe_id'),
            updated_at: eb.ref('excluded.updated_at'),
          })),
        )
        .execute();
    },

    async getStripeCatalogIds() {
      const rows = await db.selectFrom('stripe_catalog').selectAll().orderBy('plan_id').execute();
      const ids: StripeCatalogIds = {};
      for (const row of rows) {
        const plan = ids[row.plan_id] ?? {};
        const operation = operationKind.exec(row.kind);
        if (operation !== null) {
          const [, part, id] = operation as unknown as [string, 'overage' | 'meter', string];
          const operations = plan.operations ?? {};
          const entry = operations[id] ?? { price: '', meter: '' };
          if (part === 'overage') entry.price = row.stripe_id;
          else entry.meter = row.stripe_id;
          operations[id] = entry;
          plan.operations = operations;
        } else if ((kinds as readonly string[]).includes(row.kind)) {
          plan[row.kind as SingleKind] = row.stripe_id;
        } else {
          continue;
        }
        ids[row.plan_id] = plan;
      }
      return ids;
    },
  };
}
