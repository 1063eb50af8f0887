/**
 * Which quota warnings (80, 90, 100 percent) a debit crosses. Pure, so whoever records usage can
 * decide it from the period's usage before and after the debit: usage only grows within a period and
 * the store serialises debits, so exactly one debit crosses each threshold and the warning is sent once.
 */
import type { NotificationType } from './notifier.js';

export const QUOTA_THRESHOLDS = [
  { percent: 80, type: 'quota_80' },
  { percent: 90, type: 'quota_90' },
  { percent: 100, type: 'quota_100' },
] as const satisfies ReadonlyArray<{ percent: number; type: NotificationType }>;

export type QuotaNotificationType = (typeof QUOTA_THRESHOLDS)[number]['type'];

/**
 * The thresholds with `before < threshold <= after`, in increasing order; none for an unlimited
 * (null) or zero limit. Integer arithmetic: `used * 100 >= limit * percent`, no float near the edge.
 * @example
 * quotaThresholdsCrossed(79_000, 91_000, 100_000); // ['quota_80', 'quota_90']
 */
export function quotaThresholdsCrossed(
  before: number,
  after: number,
  limit: number | null,
): QuotaNotificationType[] {
  if (limit === null || limit <= 0 || after <= before) return [];
  const reached = (used: number, percent: number) => used * 100 >= limit * percent;
  return QUOTA_THRESHOLDS.filter(({ percent }) => !reached(before, percent) && reached(after, percent)).map(
    ({ type }) => type,
  );
}
