/**
 * When leases stand in the way of an exact decision (docs/decisions/017), on the core rule itself:
 * a refusal or an overage split that nothing leased would change names its customer; anything else
 * (no lease, a refusal that stays one, overage that stays overage) does not.
 */
import { describe, expect, it } from 'vitest';
import { type CounterState, counterKey, decideDebits } from '../core/ledger/decide-debits.js';
import type { UsageDebit } from '../core/ports.js';
import { debit as contractDebit, PERIOD, T0 as T } from './contract/contract-context.js';
import { batchEventIds } from './event-ids.js';
import { leasesInTheWay } from './postgres-lease-reclaim.js';

function debit(customerId: string, cost: number, limit: number, included = limit): UsageDebit {
  return contractDebit(customerId, { cost, limit, included });
}

/** What the exact path would see: each customer's counter as locked, and the decision on it. */
function inTheWay(debits: UsageDebit[], counters: Record<string, CounterState>) {
  const current = new Map(
    Object.entries(counters).map(([customerId, counter]) => [counterKey(customerId, PERIOD), counter]),
  );
  const decide = (state: ReadonlyMap<string, CounterState>) =>
    decideDebits(debits, state, new Map(), T, batchEventIds());
  return leasesInTheWay(debits, decide(current).outcomes, current, decide);
}

describe('leases in the way of an exact decision', () => {
  it('names the customer whose refusal the leased units would admit', () => {
    // 99 used + 1 leased of 100: the debit is refused only because of the lease.
    const customers = {
      cus_a: { used: 99, overage: 0, leased: 1 },
      cus_b: { used: 0, overage: 0, leased: 5 },
    };
    expect(inTheWay([debit('cus_a', 1, 100), debit('cus_b', 1, 100)], customers)).toEqual(['cus_a']);
  });

  it('names nobody when the refusal stays one with nothing leased, or nothing is leased', () => {
    expect(inTheWay([debit('cus_a', 5, 100)], { cus_a: { used: 97, overage: 0, leased: 1 } })).toBeNull();
    expect(inTheWay([debit('cus_a', 1, 100)], { cus_a: { used: 100, overage: 0, leased: 0 } })).toBeNull();
    expect(inTheWay([debit('cus_a', 1, 100)], { cus_a: { used: 10, overage: 0, leased: 5 } })).toBeNull();
  });

  it('names the customer whose overage the leased units would make included usage', () => {
    // Included 100, limit 150: 99 used + 1 leased bills the next credit as overage, though the
    // holder may return its unit unspent.
    expect(inTheWay([debit('cus_a', 1, 150, 100)], { cus_a: { used: 99, overage: 0, leased: 1 } })).toEqual([
      'cus_a',
    ]);
    // Past the included quota it is overage either way.
    expect(
      inTheWay([debit('cus_a', 1, 150, 100)], { cus_a: { used: 100, overage: 0, leased: 1 } }),
    ).toBeNull();
  });
});
