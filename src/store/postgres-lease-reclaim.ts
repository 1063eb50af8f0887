/**
 * When quota leases stand in the way of the exact path's decision (docs/decisions/017): live leases
 * hold units of a counter on which the decision refused a credit debit, or billed one as overage. The
 * exact transaction then rolls back before writing and runs again with those customers' leases
 * reclaimed in its first statement, so refusals and overage are decided with nothing leased.
 */
import { type CounterState, counterKey } from '../core/ledger/decide-debits.js';
import type { UsageDebit, UsageOutcome } from '../core/ports.js';

/** The decision refused debits that these customers' live leases hold the units for. */
export class LeasesInTheWay extends Error {
  constructor(readonly customerIds: string[]) {
    super('quota leases hold units the batch needs');
  }
}

/**
 * The customers to reclaim leases from, when live leases hold units of a counter on which the
 * decision refused a credit debit, or billed one as overage (leased units count as included usage
 * spent first, and a holder may return them unspent), and the same batch decided with nothing leased
 * admits more or bills less overage; else null. Only a refusal or an overage split near the quota pays
 * for this second decision (in memory, no round trip).
 */
export function leasesInTheWay(
  debits: readonly UsageDebit[],
  outcomes: readonly UsageOutcome[],
  current: ReadonlyMap<string, CounterState>,
  decide: (counters: ReadonlyMap<string, CounterState>) => { outcomes: UsageOutcome[] },
): string[] | null {
  const customerIds = new Set<string>();
  outcomes.forEach((outcome, index) => {
    const refused = outcome.kind === 'denied' && outcome.window === undefined && outcome.key === undefined;
    const overage = outcome.kind === 'recorded' && !outcome.replayed && outcome.overage > 0;
    if (!refused && !overage) return;
    const debit = debits[index] as UsageDebit;
    if ((current.get(counterKey(debit.customerId, debit.periodStart))?.leased ?? 0) > 0) {
      customerIds.add(debit.customerId);
    }
  });
  if (customerIds.size === 0) return null;
  const freed = new Map(current);
  for (const [key, counter] of current)
    if ((counter.leased ?? 0) > 0) freed.set(key, { ...counter, leased: 0 });
  const again = decide(freed).outcomes;
  const recorded = (list: readonly UsageOutcome[]) =>
    list.filter((outcome) => outcome.kind === 'recorded').length;
  const overage = (list: readonly UsageOutcome[]) =>
    list.reduce(
      (sum, outcome) => sum + (outcome.kind === 'recorded' && !outcome.replayed ? outcome.overage : 0),
      0,
    );
  return recorded(again) > recorded(outcomes) || overage(again) < overage(outcomes) ? [...customerIds] : null;
}
