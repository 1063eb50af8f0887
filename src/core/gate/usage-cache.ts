/**
 * The last known credit usage per customer and period, for response headers and `check()`. Admission
 * never trusts it: the store decides every debit under lock. It is refreshed from every commit in this
 * process and re-read after `ttlMs`, so other instances' usage shows up within that time.
 */
import type { Store } from '../ports.js';

interface Entry {
  periodStart: number;
  used: number;
  readAt: number;
}

export class UsageCache {
  private readonly entries = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<number>>();

  constructor(
    private readonly store: Store,
    private readonly now: () => number,
    private readonly ttlMs = 1_000,
  ) {}

  /** Usage of the period: a number when cached, else a promise of one (one read per customer at a time). */
  get(customerId: string, periodStart: number): number | Promise<number> {
    const entry = this.entries.get(customerId);
    const now = this.now();
    if (entry && entry.periodStart === periodStart && now - entry.readAt < this.ttlMs) return entry.used;
    const key = `${customerId}\u0000${periodStart}`;
    let pending = this.loading.get(key);
    if (!pending) {
      pending = this.store.getPeriodUsage(customerId, periodStart).then(
        (usage) => {
          this.loading.delete(key);
          const current = this.entries.get(customerId);
          // A commit may have remembered a newer figure while the read was in flight.
          const used =
            current && current.periodStart === periodStart ? Math.max(current.used, usage.used) : usage.used;
          this.entries.set(customerId, { periodStart, used, readAt: now });
          return used;
        },
        (error: unknown) => {
          this.loading.delete(key);
          throw error;
        },
      );
      this.loading.set(key, pending);
    }
    return pending;
  }

  remember(customerId: string, periodStart: number, used: number): void {
    const entry = this.entries.get(customerId);
    if (entry && entry.periodStart === periodStart && entry.used > used) return;
    this.entries.set(customerId, { periodStart, used, readAt: this.now() });
  }

  forget(customerId: string): void {
    this.entries.delete(customerId);
  }
}
