/**
 * Periods, all in UTC: billing cycles that follow Stripe's anchor rules, calendar months for customers
 * without a subscription, and fixed minute/day windows for rate limits. Pure functions of epoch ms.
 */

export interface Period {
  readonly start: number;
  readonly end: number;
}

export const MINUTE_MS = 60_000;
export const DAY_MS = 86_400_000;

/** Start of the fixed window of `sizeMs` that contains `now`. */
export function windowStart(now: number, sizeMs: number): number {
  return now - (((now % sizeMs) + sizeMs) % sizeMs);
}

/** The month `calendarMonth` returned last: every request of a month asks for the same one. */
let lastMonth: Period = { start: 0, end: 0 };

/** The calendar month (UTC) that contains `now` (a shared, read-only object). */
export function calendarMonth(now: number): Period {
  if (now >= lastMonth.start && now < lastMonth.end) return lastMonth;
  const date = new Date(now);
  const start = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
  const end = Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
  lastMonth = { start, end };
  return lastMonth;
}

/**
 * `anchor` moved by `months` whole months, keeping its day of month and time of day, clamped to the
 * month's last day as Stripe does (an anchor on the 31st renews on Feb 28 or 29, then on Mar 31).
 */
export function addMonths(anchor: number, months: number): number {
  const date = new Date(anchor);
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth() + months;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const day = Math.min(date.getUTCDate(), lastDay);
  return Date.UTC(
    year,
    month,
    day,
    date.getUTCHours(),
    date.getUTCMinutes(),
    date.getUTCSeconds(),
    date.getUTCMilliseconds(),
  );
}

/**
 * The billing period that contains `now` for a cycle anchored at `anchor` renewing every
 * `intervalMonths` months (1 or 12). Periods before the anchor are counted backwards the same way.
 */
export function billingPeriod(anchor: number, intervalMonths: number, now: number): Period {
  const anchorDate = new Date(anchor);
  const nowDate = new Date(now);
  const monthsApart =
    (nowDate.getUTCFullYear() - anchorDate.getUTCFullYear()) * 12 +
    nowDate.getUTCMonth() -
    anchorDate.getUTCMonth();
  let cycles = Math.floor(monthsApart / intervalMonths);
  // The estimate can be one cycle late or early around the anchor's day of month; settle it.
  while (addMonths(anchor, cycles * intervalMonths) > now) cycles -= 1;
  while (addMonths(anchor, (cycles + 1) * intervalMonths) <= now) cycles += 1;
  return {
    start: addMonths(anchor, cycles * intervalMonths),
    end: addMonths(anchor, (cycles + 1) * intervalMonths),
  };
}
