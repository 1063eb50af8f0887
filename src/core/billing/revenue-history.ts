/**
 * Revenue over time. The revenue report knows only "now", so its figures are kept once per UTC day
 * (billing time) in `revenue_snapshots`; the MRR series is those rows, and money collected is the
 * paid invoices summed by month. The serve command calls `recordRevenueSnapshot` hourly, and the
 * admin revenue routes call it before answering, so today's point always exists.
 */
import type { Catalog } from '../catalog/catalog.js';
import type { Clock } from '../clock.js';
import { DAY_MS } from '../periods.js';
import type { MonthlyAmount, RevenueSnapshot, Store } from '../ports.js';
import { type RevenueReport, revenueReport } from './revenue-report.js';

/** `YYYY-MM-DD` of an epoch-ms time, UTC. */
export const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

export function revenueSnapshotOf(report: RevenueReport, now: number): RevenueSnapshot {
  return {
    day: utcDay(now),
    mrr: report.mrr,
    payingCustomers: report.payingCustomers,
    subscriptions: Object.values(report.subscriptionsByTier).reduce((sum, count) => sum + count, 0),
    byTier: report.subscriptionsByTier,
    updatedAt: now,
  };
}

/**
 * Computes the revenue report at billing time and stores it as today's snapshot (replacing an
 * earlier one of the same day).
 * @example
 * setInterval(() => void recordRevenueSnapshot(tollgate).catch(log), 3_600_000).unref();
 */
export async function recordRevenueSnapshot(source: {
  store: Store;
  catalog: Catalog;
  clock: Clock;
}): Promise<{ report: RevenueReport; snapshot: RevenueSnapshot }> {
  const now = source.clock.now();
  const report = await revenueReport(source.store, source.catalog, now);
  const snapshot = revenueSnapshotOf(report, now);
  await source.store.upsertRevenueSnapshot(snapshot);
  return { report, snapshot };
}

export interface RevenueHistory {
  /** Snapshots of the last `days` days (today included), oldest first; days without one are absent. */
  mrr: RevenueSnapshot[];
  /** Every month from the first day's month to this one, oldest first, zero when nothing was paid. */
  collected: MonthlyAmount[];
}

export async function revenueHistory(
  store: Store,
  currency: string,
  now: number,
  days: number,
): Promise<RevenueHistory> {
  const today = Date.parse(utcDay(now));
  const first = today - (days - 1) * DAY_MS;
  const firstDate = new Date(first);
  const firstMonth = Date.UTC(firstDate.getUTCFullYear(), firstDate.getUTCMonth(), 1);
  const [mrr, paid] = await Promise.all([
    store.listRevenueSnapshots(utcDay(first), utcDay(today)),
    store.sumPaidInvoicesByMonth(currency, firstMonth, today + DAY_MS),
  ]);
  const amounts = new Map(paid.map((entry) => [entry.month, entry.amount]));
  const collected: MonthlyAmount[] = [];
  for (let month = firstDate.getUTCMonth(), year = firstDate.getUTCFullYear(); ; month++) {
    const start = Date.UTC(year, month, 1);
    if (start > today) break;
    const key = utcDay(start).slice(0, 7);
    collected.push({ month: key, amount: amounts.get(key) ?? 0 });
  }
  return { mrr, collected };
}
