/**
 * This instance's quota leases on PostgreSQL (docs/decisions/017): slices of customers' included
 * credit quotas taken from the counter rows, so most debits are decided here, in memory, and written
 * with no lock held between round trips (postgres-lease-writes.ts).
 *
 * A lease is only a promise this instance keeps to itself: the database stays the judge. Units are
 * taken off `remaining` synchronously when a debit is decided, before any await, so concurrent
 * batches of one instance never promise the same unit twice; the write that spends them fails as a
 * whole when the lease row is gone or expired, and its debits are decided again on the exact path.
 *
 * Times are on the clock that stamps usage (`recordedAt`, the engine's billing clock), like
 * reservation expiry: every instance compares a lease's `expires_at` with its own `recordedAt`. A
 * skewed clock only reclaims a lease early (its holder's next write fails over to the exact path) or
 * late (its slice stays held longer, though a refusal it stands in the way of reclaims it); it never
 * lets a unit be spent twice.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { counterKey } from '../core/ledger/decide-debits.js';

export interface QuotaLeaseOptions {
  /** How long a lease lives without a write spending from it, on the usage clock (ms). */
  ttlMs: number;
  /** Wall time after which an unused lease is returned (ms). */
  idleMs: number;
}

/** One lease this instance holds on a (customer, period) credit counter. */
export interface Lease {
  id: string;
  customerId: string;
  periodStart: number;
  /** The included quota it was granted under; a debit under another ceiling does not spend from it. */
  ceiling: number;
  /** Milli-credits not yet promised to a debit of this instance. */
  remaining: number;
  /** Writes spending from it that have not answered yet. */
  inFlight: number;
  /** Expiry as last written, on the usage clock. */
  expiresAt: number;
  /** Wall time of the last debit decided on it. */
  lastUsed: number;
}

/** A counter an instance wants a lease on. */
export interface LeaseRequest {
  customerId: string;
  periodStart: number;
  /** The included quota the lease is granted under. */
  ceiling: number;
  /** The cost of the debit asking: the slice is a multiple of it. */
  unit: number;
  /** Debits of the batch asking for it. */
  debits: number;
}

/** Never more than this many debits' worth in one slice, whatever the quota. */
const MAX_SLICE_DEBITS = 4_096;
/** After a counter offered no slice, the exact path decides its debits for this long (wall ms). */
const REFUSED_BACKOFF_MS = 1_000;
/**
 * A counter gets a lease once this many of its debits asked for one within `idleMs` (wall time):
 * 8 in the default 2 s, 4 a second. A lease costs two extra commits (the take, which the batch waits
 * for, and the return) and saves a transaction's round trips on every later debit, so it pays only
 * when several debits spend from it before it goes idle. A customer seen about once a second (1,000
 * customers at 1,000 requests a second) is decided exactly, in the batch's one transaction.
 */
export const WARM_DEBITS = 8;

// Rows come back in argument order (the function returns one per counter, in its loop's order).
const takeLeases = 'SELECT granted FROM tollgate_take_leases($1, $2, $3, $4, $5, $6, $7, $8, $9)';

// Lease rows first, then the counter rows: the order every statement touching both takes them in.
const returnLeases = `
  WITH gone AS (
    DELETE FROM quota_leases WHERE id = ANY($1::text[]) RETURNING customer_id, period_start, remaining
  ), freed AS (
    SELECT customer_id, period_start, sum(remaining) AS units FROM gone GROUP BY customer_id, period_start
  )
  UPDATE usage_counters AS c SET leased = c.leased - f.units
  FROM freed AS f WHERE c.customer_id = f.customer_id AND c.period_start = f.period_start`;

export class QuotaLeases {
  readonly instanceId = randomUUID();
  private readonly leases = new Map<string, Lease>();
  private readonly taking = new Map<string, Promise<void>>();
  private readonly refusedUntil = new Map<string, number>();
  /** Debits that asked for a lease on each counter since `since` (wall ms), a window of `idleMs`. */
  private readonly asked = new Map<string, { since: number; debits: number }>();
  private readonly sweeper: NodeJS.Timeout;
  private returning: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly pool: pg.Pool,
    readonly options: QuotaLeaseOptions,
  ) {
    this.sweeper = setInterval(() => this.returnIdle(), Math.max(100, options.idleMs / 2));
    this.sweeper.unref();
  }

  /**
   * Promises `cost` of this instance's lease on the counter to one debit; undefined when the lease is
   * missing, expired at `now`, granted under another ceiling or too small.
   */
  spend(key: string, ceiling: number, cost: number, now: number): Lease | undefined {
    const lease = this.leases.get(key);
    if (
      lease === undefined ||
      lease.ceiling !== ceiling ||
      lease.expiresAt <= now ||
      lease.remaining < cost
    ) {
      return undefined;
    }
    lease.remaining -= cost;
    lease.lastUsed = Date.now();
    return lease;
  }

  /** Whether this instance holds a lease on the counter. */
  holds(key: string): Lease | undefined {
    return this.leases.get(key);
  }

  /**
   * Takes new leases on these counters in one call (returning this instance's previous lease on each
   * in the same call), except those being taken already (then waits for them), those that offered
   * no slice just now, and cold ones (see below).
   */
  async take(requests: readonly LeaseRequest[], now: number): Promise<void> {
    const waits: Promise<void>[] = [];
    const fresh: LeaseRequest[] = [];
    const wall = Date.now();
    for (const request of requests) {
      const key = counterKey(request.customerId, request.periodStart);
      const pending = this.taking.get(key);
      if (pending !== undefined) {
        waits.push(pending);
        continue;
      }
      // A lease pays for itself only when it is spent from several times before it goes idle
      // (WARM_DEBITS); until then the counter's debits take the exact path, as before leases.
      let asked = this.asked.get(key);
      if (asked === undefined || asked.since <= wall - this.options.idleMs) {
        asked = { since: wall, debits: 0 };
        this.asked.set(key, asked);
      }
      asked.debits += request.debits;
      const warm = asked.debits >= WARM_DEBITS;
      if (warm && (this.refusedUntil.get(key) ?? 0) <= wall) fresh.push(request);
    }
    if (fresh.length > 0) {
      // The order every batch locks counters in (postgres-batch-keys.ts).
      fresh.sort((a, b) =>
        a.customerId < b.customerId ? -1 : a.customerId > b.customerId ? 1 : a.periodStart - b.periodStart,
      );
      // A failed call leaves no lease: the exact path decides, and reports the fault if it persists.
      const taken = this.grant(fresh, now).catch(() => {});
      for (const request of fresh) {
        const key = counterKey(request.customerId, request.periodStart);
        this.taking.set(key, taken);
        void taken.finally(() => {
          if (this.taking.get(key) === taken) this.taking.delete(key);
        });
      }
      waits.push(taken);
    }
    await Promise.all(waits);
  }

  private async grant(requests: readonly LeaseRequest[], now: number): Promise<void> {
    const ids = requests.map(() => `lease_${randomUUID()}`);
    const expiresAt = now + this.options.ttlMs;
    const result = await this.pool.query<{ granted: number }>({
      name: 'tollgate_take_leases',
      text: takeLeases,
      values: [
        requests.map((request) => request.customerId),
        requests.map((request) => request.periodStart),
        requests.map((request) => request.ceiling),
        requests.map((request) => request.unit),
        requests.map((request) => request.unit * MAX_SLICE_DEBITS),
        ids,
        now,
        expiresAt,
        this.instanceId,
      ],
    });
    const wall = Date.now();
    requests.forEach((request, index) => {
      const key = counterKey(request.customerId, request.periodStart);
      const granted = Number(result.rows[index]?.granted ?? 0);
      // The call deleted this instance's previous lease on the counter: its unpromised units went
      // back to the counter, and any write still spending from it fails over to the exact path.
      this.leases.delete(key);
      if (granted <= 0) {
        this.refusedUntil.set(key, wall + REFUSED_BACKOFF_MS);
        return;
      }
      this.refusedUntil.delete(key);
      this.leases.set(key, {
        id: ids[index] as string,
        customerId: request.customerId,
        periodStart: request.periodStart,
        ceiling: request.ceiling,
        remaining: granted,
        inFlight: 0,
        expiresAt,
        lastUsed: wall,
      });
    });
  }

  /** The write that spent from these leases committed: they live until `renewedUntil`. */
  spent(leases: Iterable<Lease>, renewedUntil: number): void {
    for (const lease of leases) {
      lease.inFlight -= 1;
      lease.expiresAt = Math.max(lease.expiresAt, renewedUntil);
    }
  }

  /** The write rolled back for another reason than a lost lease: its units are promised to no one. */
  restore(leases: ReadonlyMap<Lease, number>): void {
    for (const [lease, units] of leases) {
      lease.inFlight -= 1;
      lease.remaining += units;
    }
  }

  /**
   * A write found one of these leases gone (reclaimed after its TTL by another instance) or expired:
   * they are dropped here, and their ids are given back for the exact path to delete, so what is left
   * of one still alive returns to the counter at once instead of at its expiry.
   */
  lost(leases: Iterable<Lease>): string[] {
    const ids: string[] = [];
    for (const lease of leases) {
      lease.inFlight -= 1;
      const key = counterKey(lease.customerId, lease.periodStart);
      if (this.leases.get(key) === lease) this.leases.delete(key);
      ids.push(lease.id);
    }
    return ids;
  }

  /**
   * Gives up this instance's lease on the counter (a debit did not fit what is left of it): its id,
   * for the exact path to delete in its first statement, or undefined when there is none.
   */
  handOver(key: string): string | undefined {
    const lease = this.leases.get(key);
    if (lease === undefined) return undefined;
    this.leases.delete(key);
    return lease.id;
  }

  /** Returns every lease unused for `idleMs` and not being written (runs on a timer). */
  private returnIdle(): void {
    const wall = Date.now();
    for (const [key, until] of this.refusedUntil) if (until <= wall) this.refusedUntil.delete(key);
    const idleSince = wall - this.options.idleMs;
    for (const [key, asked] of this.asked) if (asked.since <= idleSince) this.asked.delete(key);
    const ids: string[] = [];
    for (const [key, lease] of this.leases) {
      if (lease.lastUsed > idleSince || lease.inFlight > 0) continue;
      this.leases.delete(key);
      ids.push(lease.id);
    }
    if (ids.length > 0) this.giveBack(ids);
  }

  private giveBack(ids: string[]): void {
    // A failed return costs nothing but time: the rows expire and the next taker reclaims them.
    this.returning = Promise.all([
      this.returning,
      this.pool.query({ name: 'tollgate_return_leases', text: returnLeases, values: [ids] }).catch(() => {}),
    ]);
  }

  /** Stops the timer and returns every lease left (the store is closing; no write is in flight). */
  async close(): Promise<void> {
    clearInterval(this.sweeper);
    const ids = [...this.leases.values()].map((lease) => lease.id);
    this.leases.clear();
    if (ids.length > 0) this.giveBack(ids);
    await this.returning;
  }
}
