/**
 * The PostgreSQL hot path: one group-commit batch of debits. Plain credit debits are decided against
 * this instance's quota leases and written in one statement (postgres-lease-writes.ts,
 * docs/decisions/017-quota-leases.md); the rest take the exact path, one transaction deciding under
 * the counter rows' locks (postgres-exact-commit.ts). A mixed batch runs the lease statement inside
 * the exact transaction, so it is recorded whole or not at all.
 */
import type pg from 'pg';
import type { UsageDebit, UsageOutcome } from '../core/ports.js';
import { commitExactly, retryableCodes } from './postgres-exact-commit.js';
import { LEASE_LOST, planLeaseDebits, writeLeaseDebits } from './postgres-lease-writes.js';
import type { QuotaLeases } from './postgres-quota-leases.js';

/**
 * @param meterWindowMs length of the meter-outbox windows that admitted overage is added to
 * @param leases this instance's quota leases; absent, every debit takes the exact path
 */
export async function commitUsageOnPostgres(
  pool: pg.Pool,
  debits: readonly UsageDebit[],
  recordedAt: number,
  meterWindowMs: number,
  leases?: QuotaLeases,
): Promise<UsageOutcome[]> {
  if (debits.length === 0) return [];
  if (leases === undefined) return commitExactly(pool, debits, recordedAt, meterWindowMs, []);
  const plan = await planLeaseDebits(leases, debits, recordedAt);
  if (plan.admitted.length === 0) {
    return commitExactly(pool, debits, recordedAt, meterWindowMs, plan.returns);
  }
  const { ttlMs } = leases.options;
  const exactDebits = plan.exact.map((index) => debits[index] as UsageDebit);
  let leaseOutcomes: Map<number, UsageOutcome> | undefined;
  let exactOutcomes: UsageOutcome[] = [];
  try {
    if (exactDebits.length === 0) {
      // The hot path: one statement, no transaction.
      leaseOutcomes = await writeLeaseDebits(pool, debits, plan, recordedAt, ttlMs);
    } else {
      // A mixed batch commits as one transaction, so it is still recorded whole or not at all.
      exactOutcomes = await commitExactly(
        pool,
        exactDebits,
        recordedAt,
        meterWindowMs,
        plan.returns,
        async (client) => {
          leaseOutcomes = await writeLeaseDebits(client, debits, plan, recordedAt, ttlMs);
        },
      );
    }
  } catch (error) {
    const code = String((error as { code?: unknown }).code);
    if (code !== LEASE_LOST && !retryableCodes.has(code)) {
      leases.restore(plan.spends);
      throw error;
    }
    // A lease was reclaimed (or the write deadlocked): nothing was written, and the whole batch is
    // decided again on the exact path, which deletes those leases if they still exist.
    const lost = leases.lost(plan.spends.keys());
    return commitExactly(pool, debits, recordedAt, meterWindowMs, [...plan.returns, ...lost]);
  }
  leases.spent(plan.spends.keys(), recordedAt + ttlMs);
  const outcomes: UsageOutcome[] = new Array(debits.length);
  plan.exact.forEach((index, position) => {
    outcomes[index] = exactOutcomes[position] as UsageOutcome;
  });
  for (const [index, outcome] of leaseOutcomes ?? []) outcomes[index] = outcome;
  return outcomes;
}
