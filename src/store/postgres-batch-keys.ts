/**
 * The keys a PostgreSQL batch locks and looks up, each once and in the one order every batch takes
 * them in, so two batches never wait on each other in a cycle.
 */
import { counterKey, idempotencyScope, windowCounterKey } from '../core/ledger/decide-debits.js';
import type { UsageDebit, UsageEvent } from '../core/ports.js';

/** The batch's (customer, period) pairs, once each, in the one order every batch locks them in. */
export function distinctCounterKeys(debits: readonly UsageDebit[]): {
  customerIds: string[];
  periodStarts: number[];
} {
  const pairs = new Map<string, { customerId: string; periodStart: number }>();
  for (const debit of debits) {
    const key = counterKey(debit.customerId, debit.periodStart);
    if (!pairs.has(key)) pairs.set(key, { customerId: debit.customerId, periodStart: debit.periodStart });
  }
  const sorted = [...pairs.values()].sort((a, b) =>
    a.customerId < b.customerId ? -1 : a.customerId > b.customerId ? 1 : a.periodStart - b.periodStart,
  );
  return {
    customerIds: sorted.map((pair) => pair.customerId),
    periodStarts: sorted.map((pair) => pair.periodStart),
  };
}

export interface WindowKeys {
  customerIds: string[];
  operations: string[];
  windows: string[];
  starts: number[];
}

/** The batch's operation window counters, once each and sorted (the lock order); null when it has none. */
export function distinctWindowKeys(debits: readonly UsageDebit[]): WindowKeys | null {
  const keys = new Map<string, { customerId: string; operation: string; window: string; start: number }>();
  for (const debit of debits) {
    if (debit.windows === undefined) continue;
    for (const { window, start } of debit.windows) {
      const key = windowCounterKey(debit.customerId, debit.operation, window, start);
      if (!keys.has(key))
        keys.set(key, { customerId: debit.customerId, operation: debit.operation, window, start });
    }
  }
  if (keys.size === 0) return null;
  const sorted = [...keys.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, key]) => key);
  return {
    customerIds: sorted.map((key) => key.customerId),
    operations: sorted.map((key) => key.operation),
    windows: sorted.map((key) => key.window),
    starts: sorted.map((key) => key.start),
  };
}

export function distinctIdempotencyScopes(debits: readonly UsageDebit[]): {
  customerIds: string[];
  keys: string[];
} {
  const seen = new Set<string>();
  const customerIds: string[] = [];
  const keys: string[] = [];
  for (const debit of debits) {
    if (debit.idempotencyKey === null) continue;
    const scope = idempotencyScope(debit.customerId, debit.idempotencyKey);
    if (seen.has(scope)) continue;
    seen.add(scope);
    customerIds.push(debit.customerId);
    keys.push(debit.idempotencyKey);
  }
  return { customerIds, keys };
}

/**
 * Keyed events go in a fixed order, so two batches inserting the same keys (for one customer under
 * different periods, where the counter locks do not serialize them) wait in the same order, never
 * in a cycle.
 */
export function byIdempotencyScope(a: UsageEvent, b: UsageEvent): number {
  if (a.idempotencyKey === null || b.idempotencyKey === null) {
    return a.idempotencyKey === b.idempotencyKey ? 0 : a.idempotencyKey === null ? 1 : -1;
  }
  const left = idempotencyScope(a.customerId, a.idempotencyKey);
  const right = idempotencyScope(b.customerId, b.idempotencyKey);
  return left < right ? -1 : left > right ? 1 : 0;
}
