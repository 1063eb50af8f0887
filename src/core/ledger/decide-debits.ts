/**
 * The admission rule for usage debits, as a pure function. Every Store runs it inside its transaction
 * on the rows it has locked, so SQLite and PostgreSQL admit exactly the same events, and the rule is
 * tested once, without a database.
 */
import type { UsageDebit, UsageEvent, UsageOutcome } from '../ports.js';

export interface CounterState {
  used: number;
  overage: number;
}

/** What a store already holds for an idempotency key of the batch. */
export interface KnownEvent {
  eventId: string;
  requestHash: string | null;
  usedAfter: number;
  overage: number;
}

export interface DebitDecision {
  outcomes: UsageOutcome[];
  /** Counters to write back, by `counterKey`, with their new values (only those that changed). */
  counters: Map<string, CounterState & { customerId: string; periodStart: number }>;
  /** Events to insert, in order. */
  events: UsageEvent[];
}

export function counterKey(customerId: string, periodStart: number): string {
  return `${customerId}\u0000${periodStart}`;
}

export function idempotencyScope(customerId: string, idempotencyKey: string): string {
  return `${customerId}\u0000${idempotencyKey}`;
}

/**
 * Decides each debit in order against the current counters.
 * @param current counters by `counterKey` as read under lock (missing = zero)
 * @param known events already stored for the batch's idempotency keys, by `idempotencyScope`
 * @param newEventId makes the id of each admitted event
 */
export function decideDebits(
  debits: readonly UsageDebit[],
  current: ReadonlyMap<string, CounterState>,
  known: ReadonlyMap<string, KnownEvent>,
  recordedAt: number,
  newEventId: () => string,
): DebitDecision {
  const counters = new Map<string, CounterState & { customerId: string; periodStart: number }>();
  const seen = new Map<string, KnownEvent>(known);
  const outcomes: UsageOutcome[] = [];
  const events: UsageEvent[] = [];

  for (const debit of debits) {
    const scope =
      debit.idempotencyKey === null ? null : idempotencyScope(debit.customerId, debit.idempotencyKey);
    const prior = scope === null ? undefined : seen.get(scope);
    if (prior) {
      outcomes.push(
        prior.requestHash === debit.requestHash
          ? {
              kind: 'recorded',
              eventId: prior.eventId,
              used: prior.usedAfter,
              overage: prior.overage,
              replayed: true,
            }
          : { kind: 'conflict', eventId: prior.eventId },
      );
      continue;
    }

    const key = counterKey(debit.customerId, debit.periodStart);
    const state = counters.get(key) ?? {
      customerId: debit.customerId,
      periodStart: debit.periodStart,
      ...(current.get(key) ?? { used: 0, overage: 0 }),
    };
    const usedAfter = state.used + debit.cost;
    if (debit.limit !== null && usedAfter > debit.limit) {
      outcomes.push({ kind: 'denied', used: state.used });
      continue;
    }

    const overage =
      debit.included === null ? 0 : Math.max(0, usedAfter - Math.max(debit.included, state.used));
    state.used = usedAfter;
    state.overage += overage;
    counters.set(key, state);

    const eventId = newEventId();
    events.push({
      id: eventId,
      customerId: debit.customerId,
      periodStart: debit.periodStart,
      operation: debit.operation,
      quantity: debit.quantity,
      cost: debit.cost,
      overage,
      usedAfter,
      idempotencyKey: debit.idempotencyKey,
      requestHash: debit.requestHash,
      occurredAt: debit.occurredAt,
      recordedAt,
    });
    if (scope !== null) {
      seen.set(scope, { eventId, requestHash: debit.requestHash, usedAfter, overage });
    }
    outcomes.push({ kind: 'recorded', eventId, used: usedAfter, overage, replayed: false });
  }
  return { outcomes, counters, events };
}
