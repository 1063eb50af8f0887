/**
 * The admission rule for usage debits, as a pure function. Every Store runs it inside its transaction
 * on the rows it has locked, so SQLite and PostgreSQL admit exactly the same events, and the rule is
 * tested once, without a database.
 */
import type { UsageDebit, UsageEvent, UsageOutcome, WindowDebit, WindowUsage } from '../ports.js';

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
  /** Operation window counters to write back, by `windowCounterKey` (only those that changed). */
  windows: Map<string, WindowCounter>;
}

/** An operation window's counter row. */
export interface WindowCounter extends WindowUsage {
  customerId: string;
  operation: string;
  window: WindowDebit['window'];
  start: number;
}

export function counterKey(customerId: string, periodStart: number): string {
  return `${customerId}\u0000${periodStart}`;
}

/** Key of an operation window's counter; never equal to a `counterKey` (more parts). */
export function windowCounterKey(
  customerId: string,
  operation: string,
  window: WindowDebit['window'],
  start: number,
): string {
  return `${customerId}\u0000${operation}\u0000${window}\u0000${start}`;
}

const NO_WINDOWS: ReadonlyMap<string, WindowUsage> = new Map();

export function idempotencyScope(customerId: string, idempotencyKey: string): string {
  return `${customerId}\u0000${idempotencyKey}`;
}

/**
 * Decides each debit in order against the current counters: its operation windows first, then the
 * credit quota (the gate's order); a debit refused by either changes no counter.
 * @param current counters by `counterKey` as read under lock (missing = zero)
 * @param known events already stored for the batch's idempotency keys, by `idempotencyScope`
 * @param newEventId makes the id of each admitted event
 * @param currentWindows operation window counters by `windowCounterKey` as read under lock (missing = zero)
 */
export function decideDebits(
  debits: readonly UsageDebit[],
  current: ReadonlyMap<string, CounterState>,
  known: ReadonlyMap<string, KnownEvent>,
  recordedAt: number,
  newEventId: () => string,
  currentWindows: ReadonlyMap<string, WindowUsage> = NO_WINDOWS,
): DebitDecision {
  const counters = new Map<string, CounterState & { customerId: string; periodStart: number }>();
  const windowCounters = new Map<string, WindowCounter>();
  const seen = new Map<string, KnownEvent>(known);
  const outcomes: UsageOutcome[] = [];
  const events: UsageEvent[] = [];

  /** A window's counter as this batch has left it so far. */
  const windowState = (debit: UsageDebit, window: WindowDebit): WindowCounter => {
    const key = windowCounterKey(debit.customerId, debit.operation, window.window, window.start);
    let state = windowCounters.get(key);
    if (state === undefined) {
      const stored = currentWindows.get(key);
      state = {
        customerId: debit.customerId,
        operation: debit.operation,
        window: window.window,
        start: window.start,
        used: stored?.used ?? 0,
        overage: stored?.overage ?? 0,
      };
    }
    return state;
  };

  for (const debit of debits) {
    const scope =
      debit.idempotencyKey === null ? null : idempotencyScope(debit.customerId, debit.idempotencyKey);
    const prior = scope === null ? undefined : seen.get(scope);
    // Most debits have no operation windows: that path allocates nothing for them.
    const windows = debit.windows !== undefined && debit.windows.length > 0 ? debit.windows : undefined;
    if (prior) {
      const replay: UsageOutcome =
        prior.requestHash === debit.requestHash
          ? {
              kind: 'recorded',
              eventId: prior.eventId,
              used: prior.usedAfter,
              overage: prior.overage,
              replayed: true,
            }
          : { kind: 'conflict', eventId: prior.eventId };
      if (replay.kind === 'recorded' && windows !== undefined) {
        replay.windows = windows.map((window) => windowState(debit, window).used);
      }
      outcomes.push(replay);
      continue;
    }

    const states = windows?.map((window) => windowState(debit, window));
    if (windows !== undefined && states !== undefined) {
      const full = windows.findIndex((window, index) => {
        const limit = window.limit;
        return limit !== null && (states[index] as WindowCounter).used + debit.quantity > limit;
      });
      if (full >= 0) {
        const window = windows[full] as WindowDebit;
        const key = counterKey(debit.customerId, debit.periodStart);
        const used = counters.get(key)?.used ?? current.get(key)?.used ?? 0;
        outcomes.push({
          kind: 'denied',
          used,
          window: {
            window: window.window,
            limit: window.included ?? window.limit ?? 0,
            used: (states[full] as WindowCounter).used,
          },
        });
        continue;
      }
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
    let windowsAfter: number[] | undefined;
    let operationOverage = 0;
    if (windows !== undefined && states !== undefined) {
      windowsAfter = [];
      windows.forEach((window, index) => {
        const windowCounter = states[index] as WindowCounter;
        const before = windowCounter.used;
        windowCounter.used = before + debit.quantity;
        if (window.included !== null) {
          // Only the month window has `included` (overage is per month): its excess is what gets billed.
          const excess = Math.max(0, windowCounter.used - Math.max(window.included, before));
          windowCounter.overage += excess;
          operationOverage += excess;
        }
        windowCounters.set(
          windowCounterKey(debit.customerId, debit.operation, window.window, window.start),
          windowCounter,
        );
        windowsAfter?.push(windowCounter.used);
      });
    }

    const eventId = newEventId();
    const event: UsageEvent = {
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
      metadata: debit.metadata ?? null,
    };
    if (operationOverage > 0) event.operationOverage = operationOverage;
    events.push(event);
    if (scope !== null) {
      seen.set(scope, { eventId, requestHash: debit.requestHash, usedAfter, overage });
    }
    outcomes.push(
      windowsAfter === undefined
        ? { kind: 'recorded', eventId, used: usedAfter, overage, replayed: false }
        : { kind: 'recorded', eventId, used: usedAfter, overage, replayed: false, windows: windowsAfter },
    );
  }
  return { outcomes, counters, events, windows: windowCounters };
}
