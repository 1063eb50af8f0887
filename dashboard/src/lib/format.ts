/**
 * How the pages show values. Money arrives in integer minor units and credits as JSON numbers with at
 * most 3 decimals; both are formatted without floating-point arithmetic on the amounts themselves
 * (a credit figure is read back as its decimal text, which JavaScript prints exactly).
 */

const zeroDecimal = new Set([
  'bif',
  'clp',
  'djf',
  'gnf',
  'jpy',
  'kmf',
  'krw',
  'mga',
  'pyg',
  'rwf',
  'ugx',
  'vnd',
  'vuv',
  'xaf',
  'xof',
  'xpf',
]);

/** Minor units (e.g. 2900 cents) as "$29.00" in the browser's locale. */
export function formatMoney(minor: number, currency: string): string {
  const code = currency.toUpperCase();
  const digits = zeroDecimal.has(currency.toLowerCase()) ? 0 : 2;
  const sign = minor < 0 ? '-' : '';
  const abs = Math.abs(minor);
  const whole = digits === 0 ? abs : Math.trunc(abs / 100);
  const cents = digits === 0 ? '' : String(abs % 100).padStart(2, '0');
  // Intl formats the whole part and the symbol; the fraction is put back from the integer remainder.
  const parts = new Intl.NumberFormat(undefined, {
    style: 'currency',
    currency: code,
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).formatToParts(whole);
  return sign + parts.map((part) => (part.type === 'fraction' ? cents || part.value : part.value)).join('');
}

/** 1234.5 -> "1,234.5" (the number's decimal text is grouped, never computed on). */
export function formatCredits(credits: number | null): string {
  if (credits === null) return 'Unlimited';
  const decimal = String(credits);
  const negative = decimal.startsWith('-');
  const [whole = '0', fraction] = (negative ? decimal.slice(1) : decimal).split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${negative ? '-' : ''}${grouped}${fraction ? `.${fraction}` : ''}`;
}

/** Whole numbers with grouping; null is "Unlimited". */
export function formatCount(value: number | null): string {
  return value === null ? 'Unlimited' : value.toLocaleString();
}

const units = ['B', 'KB', 'MB', 'GB', 'TB'];

export function formatBytes(bytes: number | null): string {
  if (bytes === null) return 'Unlimited';
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

export function formatDate(iso: string | null): string {
  if (iso === null) return '—';
  return new Date(iso).toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
}

/**
 * A period as one range, "Dec 2, 2026 – Jan 2, 2027"; a period that starts and ends on the same day
 * (Stripe's first invoice of a subscription has a zero-length one) is that one date.
 */
export function formatPeriod(start: string | null, end: string | null): string {
  if (start === null) return end === null ? '—' : formatDate(end);
  const from = formatDate(start);
  const to = formatDate(end);
  return end === null || from === to ? from : `${from} – ${to}`;
}

/** A UTC calendar day `YYYY-MM-DD` as a chart label in the pages' date style: "Dec 2". */
export function formatDayLabel(day: string): string {
  return new Date(`${day}T12:00:00Z`).toLocaleDateString(undefined, {
    month: 'short',
    day: 'numeric',
    timeZone: 'UTC',
  });
}

/** A UTC month `YYYY-MM` in the pages' date style: "Dec 2026". */
export function formatMonth(month: string): string {
  return new Date(`${month}-01T12:00:00Z`).toLocaleDateString(undefined, {
    year: 'numeric',
    month: 'short',
    timeZone: 'UTC',
  });
}

/** "1 customer", "2 customers": the count with the noun that agrees with it. */
export function plural(count: number, one: string, other: string): string {
  return `${count.toLocaleString()} ${count === 1 ? one : other}`;
}

export function formatDateTime(iso: string | null): string {
  if (iso === null) return '—';
  return new Date(iso).toLocaleString(undefined, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  });
}

/** Whole days from now until `iso` (0 when past), for "3 days left". */
export function daysUntil(iso: string, now = Date.now()): number {
  return Math.max(0, Math.ceil((Date.parse(iso) - now) / 86_400_000));
}

/** Basis points (1/100 %) as "12.34%". */
export function formatBps(bps: number): string {
  return `${Math.trunc(bps / 100)}.${String(bps % 100).padStart(2, '0')}%`;
}

/**
 * Share of `limit` used, in percent for a progress bar (0-100, clamped). Pass integers: milli-credits
 * (`toMilli`) or counts.
 */
export function percentOf(used: number, limit: number | null): number | null {
  if (limit === null) return null;
  if (limit <= 0) return used > 0 ? 100 : 0;
  return Math.min(100, Math.floor((used * 100) / limit));
}

/** Share of a credit limit used, compared as milli-credit integers; see `percentOf`. */
export function creditPercent(used: number, limit: number | null): number | null {
  return percentOf(toMilli(used), limit === null ? null : toMilli(limit));
}

/** 12.5 -> 12500 milli-credits, from the number's exact decimal text (no float multiplication). */
export function toMilli(credits: number): number {
  const decimal = String(credits);
  const negative = decimal.startsWith('-');
  const [whole = '0', fraction = ''] = (negative ? decimal.slice(1) : decimal).split('.');
  const milli = Number(whole) * 1000 + Number(fraction.padEnd(3, '0').slice(0, 3));
  return negative ? -milli : milli;
}

/** A billing interval as people say it: "Monthly", "Yearly". */
export function formatInterval(interval: string): string {
  if (interval === 'month') return 'Monthly';
  if (interval === 'year') return 'Yearly';
  return interval;
}
