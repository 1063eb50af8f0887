/**
 * The admission rule for usage debits, as a pure function. Every Store runs it inside its transaction
 * on the rows it has locked, so SQLite and PostgreSQL admit exactly the same events, and the rule is
 * tested once, without a database.
 */
import type {
  ReservationStatus,
  UsageDebit,
  UsageEvent,
  UsageOutcome,
  WindowDebit,
  WindowUsage,
} from '../ports.js';

export interface CounterState {
  used: number;
  overage: number;
  /** Held by unexpired reservations (the store has dropped expired holds); absent = 0. */
  held?: number;
  /**
   * Held by other instances' quota leases (PostgreSQL, docs/decisions/017); absent = 0. Counted like
   * `held` against a limit, and as already used when splitting overage off; never written back here.
   */
  leased?: number;
}

/** A reservation that a batch settles or releases, as read under the batch's locks. */
export interface HeldReservation {
  status: ReservationStatus;
  /** Milli-credits and units it holds (while `held`). */
  cost: number;
  quantity: number;
}

/** What a batch did to reservations, for the store to write with the counters. */
export interface ReservationChange {
  debit: UsageDebit;
  id: string;
  /** `held` for a new reservation (then `expiresAt` is set). */
  status: 'held' | 'settled' | 'released';
  expiresAt?: number;
  eventId?: string;
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
  /** Reservations made, settled or released, in order. */
  reservations: ReservationChange[];
  /** Per-key credit counters to write back, by `keyCounterKey` (only those that changed). */
  keyCounters: Map<string, KeyCounter>;
}

/** A key's credit counter row for one period (only keys with a credit limit have one). */
export interface KeyCounter {
  keyId: string;
  customerId: string;
  periodStart: number;
  /** Milli-credits the key's recorded events cost this period. */
  used: number;
}

/** Key of a key's credit counter; never equal to the other kinds (it starts with a separator). */
export function keyCounterKey(keyId: string, periodStart: number): string {
  return `\u0000${keyId}\u0000${periodStart}`;
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
const NO_RESERVATIONS: ReadonlyMap<string, HeldReservation> = new Map();
const NO_KEYS: ReadonlyMap<string, number> = new Map();

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
 * @param reservations the stored reservations the batch's debits name, by id (missing = unknown)
 *
 * Reservations: a debit is admitted when `used + held` stays within each limit, so holds count like
 * usage. A `reserve` debit adds to `held` and records no event; a `settle` takes its reservation's
 * holds back and records its quantity even past a limit (the usage happened), saying so in
 * `overLimit`; a `release` takes the holds back. A settle is keyed like any debit, so a second settle
 * replays the first or conflicts with it.
 * @param currentKeys per-key credit usage by `keyCounterKey` for the batch's debits that carry a
 * `keyLimit` (missing = zero)
 *
 * Keys: a debit with a `keyLimit` must fit its key's counter after it fits the customer's (the key's
 * limit holds inside the customer's); refused by it, it changes no counter. A reservation checks the
 * key's limit but holds nothing on it; its settle counts in the key that settles (docs/decisions/015).
 */
export function decideDebits(
  debits: readonly UsageDebit[],
  current: ReadonlyMap<string, CounterState>,
  known: ReadonlyMap<string, KnownEvent>,
  recordedAt: number,
  newEventId: () => string,
  currentWindows: ReadonlyMap<string, WindowUsage> = NO_WINDOWS,
  reservations: ReadonlyMap<string, HeldReservation> = NO_RESERVATIONS,
  currentKeys: ReadonlyMap<string, number> = NO_KEYS,
): DebitDecision {
  const keyCounters = new Map<string, KeyCounter>();
  /** The key's counter as this batch has left it so far (debits with a `keyLimit` only). */
  const keyState = (debit: UsageDebit & { keyId: string }): KeyCounter => {
    const key = keyCounterKey(debit.keyId, debit.periodStart);
    return (
      keyCounters.get(key) ?? {
        keyId: debit.keyId,
        customerId: debit.customerId,
        periodStart: debit.periodStart,
        used: currentKeys.get(key) ?? 0,
      }
    );
  };
  const changes: ReservationChange[] = [];
  const reservationStates = new Map<string, HeldReservation>();
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
        held: stored?.held ?? 0,
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
    const action = debit.reservation;
    let forced = false;
    const existing =
      action?.action === 'reserve'
        ? (reservationStates.get(action.id) ?? reservations.get(action.id))
        : undefined;
    if (existing !== undefined && action !== undefined) {
      // A reservation id made from an idempotency key: a retry answers the first reservation.
      const key = counterKey(debit.customerId, debit.periodStart);
      outcomes.push(
        existing.cost === debit.cost && existing.quantity === debit.quantity
          ? {
              kind: 'recorded',
              eventId: action.id,
              used: counters.get(key)?.used ?? current.get(key)?.used ?? 0,
              overage: 0,
              replayed: true,
            }
          : { kind: 'conflict', eventId: action.id },
      );
      continue;
    }
    if (action !== undefined && action.action !== 'reserve') {
      const held = reservationStates.get(action.id) ?? reservations.get(action.id);
      if (held === undefined || held.status !== 'held') {
        outcomes.push({ kind: 'conflict', eventId: action.id, reservation: held?.status ?? 'missing' });
        continue;
      }
      // Take the holds back from the counters the reservation holds on (the debit's own).
      const key = counterKey(debit.customerId, debit.periodStart);
      const counter = counters.get(key) ?? {
        customerId: debit.customerId,
        periodStart: debit.periodStart,
        ...(current.get(key) ?? { used: 0, overage: 0 }),
      };
      counter.held = (counter.held ?? 0) - held.cost;
      counters.set(key, counter);
      windows?.forEach((window, index) => {
        const state = states?.[index] as WindowCounter;
        state.held = (state.held ?? 0) - held.quantity;
        windowCounters.set(
          windowCounterKey(debit.customerId, debit.operation, window.window, window.start),
          state,
        );
      });
      const status = action.action === 'settle' ? 'settled' : 'released';
      reservationStates.set(action.id, { ...held, status });
      if (action.action === 'release') {
        changes.push({ debit, id: action.id, status });
        outcomes.push({
          kind: 'recorded',
          eventId: action.id,
          used: counter.used,
          overage: 0,
          replayed: false,
        });
        continue;
      }
      forced = true;
    }
    if (windows !== undefined && states !== undefined && !forced) {
      const full = windows.findIndex((window, index) => {
        const limit = window.limit;
        const state = states[index] as WindowCounter;
        return limit !== null && state.used + (state.held ?? 0) + debit.quantity > limit;
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
    const leased = state.leased ?? 0;
    if (!forced && debit.limit !== null && usedAfter + (state.held ?? 0) + leased > debit.limit) {
      outcomes.push({ kind: 'denied', used: state.used });
      continue;
    }
    const keyed =
      debit.keyLimit !== undefined && debit.keyId
        ? keyState(debit as UsageDebit & { keyId: string })
        : undefined;
    if (keyed !== undefined && !forced && keyed.used + debit.cost > (debit.keyLimit as number)) {
      outcomes.push({
        kind: 'denied',
        used: state.used,
        key: { id: keyed.keyId, limit: debit.keyLimit as number, used: keyed.used },
      });
      continue;
    }
    if (action?.action === 'reserve') {
      state.held = (state.held ?? 0) + debit.cost;
      counters.set(key, state);
      const taken = windows?.map((window, index) => {
        const windowCounter = states?.[index] as WindowCounter;
        windowCounter.held = (windowCounter.held ?? 0) + debit.quantity;
        windowCounters.set(
          windowCounterKey(debit.customerId, debit.operation, window.window, window.start),
          windowCounter,
        );
        return windowCounter.used + windowCounter.held;
      });
      changes.push({ debit, id: action.id, status: 'held', expiresAt: action.expiresAt });
      reservationStates.set(action.id, { status: 'held', cost: debit.cost, quantity: debit.quantity });
      outcomes.push(
        taken === undefined
          ? { kind: 'recorded', eventId: action.id, used: state.used, overage: 0, replayed: false }
          : {
              kind: 'recorded',
              eventId: action.id,
              used: state.used,
              overage: 0,
              replayed: false,
              windows: taken,
            },
      );
      continue;
    }
    let overLimit = forced && debit.limit !== null && usedAfter > debit.limit;

    // Leased units are spent as included usage by their holder, so they come before this debit.
    const overage =
      debit.included === null
        ? 0
        : Math.max(0, usedAfter + leased - Math.max(debit.included, state.used + leased));
    state.used = usedAfter;
    state.overage += overage;
    counters.set(key, state);
    if (keyed !== undefined) {
      keyed.used += debit.cost;
      keyCounters.set(keyCounterKey(keyed.keyId, keyed.periodStart), keyed);
    }
    let windowsAfter: number[] | undefined;
    let operationOverage = 0;
    if (windows !== undefined && states !== undefined) {
      windowsAfter = [];
      windows.forEach((window, index) => {
        const windowCounter = states[index] as WindowCounter;
        const before = windowCounter.used;
        windowCounter.used = before + debit.quantity;
        if (forced && window.limit !== null && windowCounter.used > window.limit) overLimit = true;
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
    if (debit.keyId) event.keyId = debit.keyId;
    if (operationOverage > 0) event.operationOverage = operationOverage;
    events.push(event);
    if (scope !== null) {
      seen.set(scope, { eventId, requestHash: debit.requestHash, usedAfter, overage });
    }
    const outcome: UsageOutcome = { kind: 'recorded', eventId, used: usedAfter, overage, replayed: false };
    if (windowsAfter !== undefined) outcome.windows = windowsAfter;
    if (forced && action !== undefined) {
      outcome.overLimit = overLimit;
      changes.push({ debit, id: action.id, status: 'settled', eventId });
    }
    outcomes.push(outcome);
  }
  return { outcomes, counters, events, windows: windowCounters, reservations: changes, keyCounters };
}
