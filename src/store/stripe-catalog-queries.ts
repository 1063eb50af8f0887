/**
 * The Stripe ids `tollgate plans push` created, per plan and kind, so a later push and the billing
 * flows find them without asking Stripe. One row per (plan, kind); a new id replaces the old one.
 */
import type { Kysely } from 'kysely';
import type { Store, StripeCatalogIds, StripePlanIds } from '../core/ports.js';
import type { Database } from './database.js';

export type StripeCatalogQueries = Pick<Store, 'saveStripeCatalogIds' | 'getStripeCatalogIds'>;

const kinds: ReadonlyArray<keyof StripePlanIds> = ['product', 'month', 'year', 'overage', 'meter'];

export function createStripeCatalogQueries(db: Kysely<Database>): StripeCatalogQueries {
  return {
    async saveStripeCatalogIds(ids, updatedAt) {
      const rows = Object.entries(ids).flatMap(([planId, planIds]) =>
        kinds.flatMap((kind) => {
          const stripeId = planIds[kind];
          return stripeId === undefined
            ? []
            : [{ plan_id: planId, kind, stripe_id: stripeId, updated_at: updatedAt }];
        }),
      );
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
        if (!(kinds as readonly string[]).includes(row.kind)) continue;
        const plan = ids[row.plan_id] ?? {};
        plan[row.kind as keyof StripePlanIds] = row.stripe_id;
        ids[row.plan_id] = plan;
      }
      return ids;
    },
  };
}
