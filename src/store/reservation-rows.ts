/**
 * Rows a batch's reservations write, the same on both databases: a reservation holds its cost on the
 * credit counter (operation '' and window 'credits', keyed by the period's start) and its quantity on
 * each operation window it counts in.
 */
import type { HeldReservation, ReservationChange } from '../core/ledger/decide-debits.js';
import type { UsageDebit } from '../core/ports.js';

/** The `reservation_holds` key of the credit counter. */
export const CREDIT_HOLD = { operation: '', window: 'credits' } as const;

export interface HoldRow {
  reservationId: string;
  customerId: string;
  operation: string;
  window: string;
  start: number;
  amount: number;
  expiresAt: number;
}

export interface ReservationRow {
  id: string;
  customerId: string;
  operation: string;
  quantity: number;
  cost: number;
  periodStart: number;
  limit: number | null;
  included: number | null;
  windows: string;
  expiresAt: number;
  createdAt: number;
}

/** The reservation rows and hold rows of the reservations a batch made. */
export function newReservationRows(
  changes: readonly ReservationChange[],
  createdAt: number,
): { reservations: ReservationRow[]; holds: HoldRow[] } {
  const reservations: ReservationRow[] = [];
  const holds: HoldRow[] = [];
  for (const change of changes) {
    if (change.status !== 'held' || change.expiresAt === undefined) continue;
    const { debit, id, expiresAt } = change;
    reservations.push({
      id,
      customerId: debit.customerId,
      operation: debit.operation,
      quantity: debit.quantity,
      cost: debit.cost,
      periodStart: debit.periodStart,
      limit: debit.limit,
      included: debit.included,
      windows: JSON.stringify(debit.windows ?? []),
      expiresAt,
      createdAt,
    });
    // A zero hold (an operation that costs no credits) changes no counter: no row to expire later.
    for (const hold of holdsOf(debit))
      if (hold.amount > 0) holds.push({ reservationId: id, ...hold, expiresAt });
  }
  return { reservations, holds };
}

function holdsOf(
  debit: UsageDebit,
): Array<{ customerId: string; operation: string; window: string; start: number; amount: number }> {
  return [
    { customerId: debit.customerId, ...CREDIT_HOLD, start: debit.periodStart, amount: debit.cost },
    ...(debit.windows ?? []).map((window) => ({
      customerId: debit.customerId,
      operation: debit.operation,
      window: window.window,
      start: window.start,
      amount: debit.quantity,
    })),
  ];
}

/** The reservations a batch settled or released. */
export function closedReservations(
  changes: readonly ReservationChange[],
): Array<{ id: string; status: 'settled' | 'released'; quantity: number | null; eventId: string | null }> {
  return changes.flatMap((change) =>
    change.status === 'held'
      ? []
      : [
          {
            id: change.id,
            status: change.status,
            quantity: change.status === 'settled' ? change.debit.quantity : null,
            eventId: change.eventId ?? null,
          },
        ],
  );
}

/** The reservations the batch's debits name (made from idempotency keys, settled or released). */
export function reservationIds(debits: readonly UsageDebit[]): string[] {
  const ids = new Set<string>();
  for (const debit of debits) {
    if (debit.reservation !== undefined) ids.add(debit.reservation.id);
  }
  return [...ids];
}

/** A stored reservation as the decision needs it: `held` past its expiry is `expired`. */
export function heldReservation(
  row: { status: string; cost: number | string; quantity: number | string; expires_at: number | string },
  now: number,
): HeldReservation {
  const expired = row.status === 'held' && Number(row.expires_at) <= now;
  return {
    status: expired ? 'expired' : (row.status as HeldReservation['status']),
    cost: Number(row.cost),
    quantity: Number(row.quantity),
  };
}
