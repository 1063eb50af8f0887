/**
 * Reservations (check first, settle after): work whose size is known only afterwards reserves the
 * credits and operation units it may take, then settles the actual usage or releases the hold. Every
 * step goes through the group commit, so holds are decided with debits under the same locks
 * (`decideDebits`), and a hold is stored with its expiry: an expired hold stops counting at the next
 * decision on its counters, also after a restart, with no sweeper.
 */
import { createHash } from 'node:crypto';
import type { Catalog } from './catalog/catalog.js';
import type { Clock } from './clock.js';
import { multiplyCost } from './credits.js';
import { invalidRequest, TollgateError } from './errors.js';
import type { Gate } from './gate/gate.js';
import type { GateDecision } from './gate/gate-decision.js';
import { newId } from './ids.js';
import type { GroupCommitter } from './ledger/group-commit.js';
import type { ApiKeyRecord, Reservation, ReservationStatus, Store, UsageOutcome } from './ports.js';

/** Prefix of reservation ids. */
export const RESERVATION_ID_PREFIX = 'rsv';
/** A reservation's lifetime when none is asked for, and the longest one (seconds of billing time). */
export const DEFAULT_RESERVATION_TTL_SECONDS = 300;
export const MAX_RESERVATION_TTL_SECONDS = 3600;

export interface ReserveInput {
  operation: string;
  /** Units to hold (a positive integer). */
  quantity: number;
  ttlSeconds?: number;
  /** A retry with the same key answers the same reservation. */
  idempotencyKey?: string | null;
  /** A feature the plan must include (403 otherwise), as for a gated request. */
  feature?: string;
  /** Hold a concurrency slot until the decision's `release()` (middleware does). */
  holdSlot?: boolean;
  /** The API key reserving: its own limits are checked (it holds nothing on them). */
  keyId?: string;
}

export interface ReserveResult {
  /** The gate's decision: a denial holds nothing and carries the same figures as a usage denial. */
  decision: GateDecision;
  /** The reservation when admitted. */
  reservation: Reservation | null;
}

export interface SettleResult {
  reservation: Reservation;
  eventId: string;
  /** Period credit usage after the settle (milli-credits). */
  used: number;
  /** The recorded usage took the period or an operation window past its limit. */
  overLimit: boolean;
  /** True when this answers a settle already made with the same quantity. */
  replayed: boolean;
}

export interface Reservations {
  reserve(customerId: string, input: ReserveInput): Promise<ReserveResult>;
  /**
   * Records the actual usage and frees the hold; `customerId` restricts it to that customer's
   * reservations. `keyId`: the customer's key that settles; the usage is recorded with it and counts
   * in the key's own credit limit.
   */
  settle(reservationId: string, quantity: number, customerId?: string, keyId?: string): Promise<SettleResult>;
  /** Frees the hold; releasing again (or an expired reservation) answers the reservation as it stands. */
  release(reservationId: string, customerId?: string): Promise<Reservation>;
  get(reservationId: string, customerId?: string): Promise<Reservation>;
}

export function createReservations(deps: {
  gate: Gate;
  committer: GroupCommitter;
  store: Store;
  catalog: Catalog;
  clock: Clock;
  /** A key by id (not_found when unknown). */
  loadKey: (keyId: string) => Promise<ApiKeyRecord>;
  /** The customer's own `consume` (so decision observers see reservations too). */
  consume: (customerId: string, request: Parameters<Gate['consume']>[1]) => Promise<GateDecision>;
}): Reservations {
  const { committer, store, catalog, clock } = deps;

  async function load(reservationId: string, customerId?: string): Promise<Reservation> {
    if (typeof reservationId !== 'string' || reservationId.length === 0 || reservationId.length > 100) {
      throw new TollgateError('not_found', `No reservation '${String(reservationId)}'.`);
    }
    const reservation = await store.getReservation(reservationId, clock.now());
    if (reservation === undefined || (customerId !== undefined && reservation.customerId !== customerId)) {
      throw new TollgateError('not_found', `No reservation '${reservationId}'.`);
    }
    return reservation;
  }

  function notHeld(reservation: Reservation, status: ReservationStatus | 'missing'): TollgateError {
    return new TollgateError('conflict', `The reservation is ${status === 'missing' ? 'unknown' : status}.`, {
      reservation_id: reservation.id,
      status,
    });
  }

  async function close(
    reservation: Reservation,
    action: 'settle' | 'release',
    quantity: number,
    keyId?: string,
  ) {
    const unitCost = catalog.operations[reservation.operation]?.cost ?? 0;
    // The settling key's credit limit: its settle counts in it (reservations hold nothing on keys).
    let keyLimit: number | null = null;
    if (keyId !== undefined && action === 'settle') {
      const key = await deps.loadKey(keyId);
      if (key.customerId !== reservation.customerId) {
        throw invalidRequest([{ path: 'keyId', message: `key '${keyId}' is not this customer's` }]);
      }
      keyLimit = key.limits?.credits ?? null;
    }
    const outcome: UsageOutcome = await committer.debit({
      customerId: reservation.customerId,
      periodStart: reservation.periodStart,
      operation: reservation.operation,
      quantity,
      cost: multiplyCost(unitCost, quantity),
      limit: reservation.limit,
      included: reservation.included,
      // The settle is keyed by its reservation: a second settle replays the first or conflicts with it.
      idempotencyKey: action === 'settle' ? `reservation:${reservation.id}` : null,
      requestHash: action === 'settle' ? `settle:${quantity}` : null,
      occurredAt: clock.now(),
      windows: reservation.windows,
      reservation: { action, id: reservation.id },
      ...(keyId !== undefined && action === 'settle' && { keyId }),
      ...(keyLimit !== null && { keyLimit }),
    });
    return outcome;
  }

  return {
    async reserve(customerId, input) {
      const ttl = input.ttlSeconds ?? DEFAULT_RESERVATION_TTL_SECONDS;
      if (!Number.isSafeInteger(ttl) || ttl < 1 || ttl > MAX_RESERVATION_TTL_SECONDS) {
        throw invalidRequest([
          { path: 'ttl_seconds', message: `expected an integer from 1 to ${MAX_RESERVATION_TTL_SECONDS}` },
        ]);
      }
      if (typeof input.operation !== 'string' || input.operation.length === 0) {
        throw invalidRequest([{ path: 'operation', message: 'required' }]);
      }
      const now = clock.now();
      const id =
        input.idempotencyKey == null
          ? newId(RESERVATION_ID_PREFIX, now)
          : `${RESERVATION_ID_PREFIX}_k${createHash('sha256')
              .update(`${customerId}\u0000${input.idempotencyKey}`)
              .digest('hex')
              .slice(0, 32)}`;
      const decision = await deps.consume(customerId, {
        operation: input.operation,
        quantity: input.quantity,
        reservation: { id, expiresAt: now + ttl * 1000 },
        ...(input.feature !== undefined && { feature: input.feature }),
        ...(input.holdSlot !== undefined && { holdSlot: input.holdSlot }),
        ...(input.keyId !== undefined && { keyId: input.keyId }),
      });
      if (!decision.allowed) return { decision, reservation: null };
      return { decision, reservation: await load(id) };
    },

    async settle(reservationId, quantity, customerId, keyId) {
      if (!Number.isSafeInteger(quantity) || quantity < 0) {
        throw invalidRequest([{ path: 'quantity', message: 'expected a non-negative integer' }]);
      }
      const reservation = await load(reservationId, customerId);
      let outcome: UsageOutcome;
      try {
        outcome = await close(reservation, 'settle', quantity, keyId);
      } catch (error) {
        if (error instanceof RangeError) {
          throw invalidRequest([{ path: 'quantity', message: 'the quantity is too large' }]);
        }
        throw error;
      }
      if (outcome.kind === 'conflict') {
        if (outcome.reservation !== undefined) throw notHeld(reservation, outcome.reservation);
        throw new TollgateError('conflict', 'This reservation was settled with a different quantity.', {
          reservation_id: reservation.id,
          event_id: outcome.eventId,
          status: 'settled',
        });
      }
      if (outcome.kind === 'denied') throw new Error('a settle is never denied');
      return {
        reservation: await load(reservation.id),
        eventId: outcome.eventId,
        used: outcome.used,
        overLimit: outcome.overLimit ?? false,
        replayed: outcome.replayed,
      };
    },

    async release(reservationId, customerId) {
      const reservation = await load(reservationId, customerId);
      const outcome = await close(reservation, 'release', 0);
      if (outcome.kind === 'conflict' && outcome.reservation === 'settled') {
        throw notHeld(reservation, 'settled');
      }
      return load(reservation.id);
    },

    get: load,
  };
}
