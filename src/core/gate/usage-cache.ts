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

  constructor(
    private readonly store: Store,
    private readonly now: () => number,
    private readonly ttlMs = 1_000,
  ) {}

  async get(customerId: string, periodStart: number): Promise<number> {
    const entry = this.entries.get(customerId);
    const now = this.now();
    if (entry && entry.periodStart === periodStart && now - entry.readAt < this.ttlMs) return entry.used;
    const usage = await this.store.getPeriodUsage(customerId, periodStart);
    this.entries.set(customerId, { periodStart, used: usage.used, readAt: now });
    return usage.used;
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
