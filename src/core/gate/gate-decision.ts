/**
 * The gate's answer for one request, as a value: allowed or not, why, the figures behind it, and the
 * response headers of the API contract. Middleware and the HTTP service only copy it onto the reply.
 */
import type { OperationWindow } from '../catalog/catalog.js';
import type { LimitSource } from '../contract/effective-plan.js';
import type { CustomerOverride } from '../contract/overrides.js';
import { formatCredits } from '../credits.js';
import { errorRegistry } from '../errors.js';
import { denialMessage } from './denial-message.js';

export type DenyReason =
  | 'account_suspended'
  | 'feature_not_available'
  | 'rate_limited'
  | 'concurrency_limited'
  | 'storage_limit_exceeded'
  | 'quota_exceeded';

export interface WindowFigures {
  limit: number;
  remaining: number;
  /** End of the window (epoch ms). */
  resetAt: number;
}

export interface CreditFigures {
  /** Milli-credits this request costs (debited when allowed by consume). */
  cost: number;
  /** Milli-credits used this period, after this request when it was debited. */
  used: number;
  /** The plan's included quota for the period (milli-credits); null = unlimited. */
  limit: number | null;
  /** `limit` raised by what is left of the customer's grants (equal to it without grants). */
  effectiveLimit: number | null;
  /** Quota left, grants included (milli-credits, never negative); null = unlimited. */
  remaining: number | null;
  /** End of the credit period (epoch ms). */
  resetAt: number;
}

/**
 * What a denial refused, with the figures its error body shows (DESIGN "Denials explain themselves").
 * Credits need none (the decision's `credits` are the figures); a suspension has none.
 */
export type Refusal =
  | { kind: 'rate'; window: 'minute' | 'day'; limit: number }
  | { kind: 'concurrency'; limit: number }
  | { kind: 'feature'; feature: string }
  | {
      kind: 'storage';
      /** Stored now, before this request. */
      current: { bytes: number; items: number };
      /** What this request would add. */
      requested: { bytes: number; items: number };
      limits: { bytes: number | null; items: number | null };
    };

/**
 * A refusal by the limit of the API key the request came through (docs/decisions/015), not the
 * customer's: credits in milli-credits per period, or requests per window.
 */
export type KeyRefusal =
  | { keyId: string; kind: 'credits'; limit: number; used: number; requested: number }
  | { keyId: string; kind: 'rate'; window: 'minute' | 'day'; limit: number };

/** One limited window of the request's operation. */
export interface OperationWindowFigures {
  window: OperationWindow;
  /** The plan's limit in units (the included units when the operation bills overage). */
  limit: number;
  /** Units counted in the window (after this request when recorded); null when not read. */
  used: number | null;
  /** Units left under the limit, never negative; null when not read. */
  remaining: number | null;
  /** End of the window (epoch ms, billing time). */
  resetAt: number;
  /** Seconds from the decision to `resetAt`, in billing time (a Stripe test clock may hold it still). */
  resetIn: number;
  /** Length of the window in seconds (the credit period's for `month`). */
  seconds: number;
}

/** The request's operation and where its limited windows stand. */
export interface OperationFigures {
  id: string;
  /** Units this request asks for. */
  quantity: number;
  windows: OperationWindowFigures[];
}

/** The operation window that refused a request (`quota_exceeded`). */
export interface WindowRefusal {
  operation: string;
  window: OperationWindow;
  limit: number;
  used: number;
  requested: number;
}

export interface GateDecision {
  allowed: boolean;
  reason: DenyReason | null;
  /** HTTP status to answer with: 200 when allowed. */
  status: number;
  message: string | null;
  customerId: string;
  plan: string;
  credits: CreditFigures;
  rate: { minute: WindowFigures | null; day: WindowFigures | null };
  /** What was refused, for the error body's details; null when allowed. */
  refusal: Refusal | null;
  /** The request's operation, its units and its limited windows; null without an operation. */
  operation: OperationFigures | null;
  /** Set when an operation limit refused the request. */
  refusedWindow: WindowRefusal | null;
  /** Set when the key's own limit refused the request (the customer's would have allowed it). */
  refusedKey: KeyRefusal | null;
  /** Seconds to wait before retrying (429 only). */
  retryAfterSeconds: number | null;
  upgradeUrl: string | null;
  /** The recorded usage event, when consume debited. */
  eventId: string | null;
  /** True when an idempotent retry got the first request's answer. */
  replayed: boolean;
  /**
   * Where the limit that refused the request comes from: the plan, or the customer's contract (an
   * override in force); null when allowed or suspended.
   */
  limitSource: LimitSource | null;
  headers: Record<string, string>;
  /** Frees the concurrency slot this request holds; safe to call more than once. */
  release: () => void;
}

export type DecisionFigures = Omit<
  GateDecision,
  'status' | 'message' | 'headers' | 'release' | 'limitSource'
> & {
  /** The customer's overrides in force (the access's map, shared: no copy per request). */
  contract: ReadonlyMap<string, CustomerOverride>;
};

const noop = (): void => {};

/**
 * A decision with its headers built on first read: in-process callers (usage reports, batch records)
 * often never read them, and building a dozen strings per call was a tenth of `consume()`'s time.
 * Fields are assigned in one order so every decision has the same shape (one hidden class).
 */
class Decision implements GateDecision {
  readonly allowed: boolean;
  readonly reason: DenyReason | null;
  readonly status: number;
  readonly message: string | null;
  readonly customerId: string;
  readonly plan: string;
  readonly credits: CreditFigures;
  readonly rate: { minute: WindowFigures | null; day: WindowFigures | null };
  readonly refusal: Refusal | null;
  readonly operation: OperationFigures | null;
  readonly refusedWindow: WindowRefusal | null;
  readonly refusedKey: KeyRefusal | null;
  readonly retryAfterSeconds: number | null;
  readonly upgradeUrl: string | null;
  readonly eventId: string | null;
  readonly replayed: boolean;
  readonly limitSource: LimitSource | null;
  readonly release: () => void;
  #headers: Record<string, string> | null = null;
  readonly #now: number;

  constructor(figures: DecisionFigures, now: number, release: () => void) {
    const reason = figures.reason;
    this.allowed = figures.allowed;
    this.reason = reason;
    this.status = reason === null ? 200 : errorRegistry[reason].status;
    this.message =
      reason === null
        ? null
        : figures.refusedKey
          ? keyRefusalMessage(figures.refusedKey)
          : figures.refusedWindow
            ? refusalMessage(figures.refusedWindow)
            : denialMessage(reason, figures);
    this.customerId = figures.customerId;
    this.plan = figures.plan;
    this.credits = figures.credits;
    this.rate = figures.rate;
    this.refusal = figures.refusal;
    this.operation = figures.operation;
    this.refusedWindow = figures.refusedWindow;
    this.refusedKey = figures.refusedKey;
    this.retryAfterSeconds = figures.retryAfterSeconds;
    this.upgradeUrl = figures.upgradeUrl;
    this.eventId = figures.eventId;
    this.replayed = figures.replayed;
    this.limitSource = reason === null ? null : denialSource(figures);
    this.release = release;
    this.#now = now;
  }

  get headers(): Record<string, string> {
    this.#headers ??= decisionHeaders(this, this.#now);
    return this.#headers;
  }
}

/** The override keys that could have set the limit a denial names. */
function denialKeys(figures: DecisionFigures): string[] {
  const window = figures.refusedWindow;
  if (window !== null) {
    const key = `operations.${window.operation}`;
    return window.window === 'month' ? [`${key}.month`, `${key}.overage`] : [`${key}.${window.window}`];
  }
  const refusal = figures.refusal;
  if (refusal === null)
    return figures.reason === 'quota_exceeded' ? ['credits', 'overage', 'spending_cap'] : [];
  switch (refusal.kind) {
    case 'rate':
      return [refusal.window === 'minute' ? 'requests_per_minute' : 'requests_per_day'];
    case 'concurrency':
      return ['concurrent_requests'];
    case 'feature':
      return [`features.${refusal.feature}`];
    case 'storage': {
      const { current, requested, limits } = refusal;
      const keys: string[] = [];
      if (limits.bytes !== null && current.bytes + requested.bytes > limits.bytes) keys.push('storage_bytes');
      if (limits.items !== null && current.items + requested.items > limits.items) keys.push('storage_items');
      return keys;
    }
  }
}

/** `contract` when an override in force set the refusing limit; `plan` otherwise; null for a suspension. */
function denialSource(figures: DecisionFigures): LimitSource | null {
  if (figures.reason === 'account_suspended') return null;
  if (figures.contract.size === 0) return 'plan';
  return denialKeys(figures).some((key) => figures.contract.has(key)) ? 'contract' : 'plan';
}

export function buildDecision(
  figures: DecisionFigures,
  now: number,
  release: () => void = noop,
): GateDecision {
  return new Decision(figures, now, release);
}

/** The headers of DESIGN section 6, plus the IETF RateLimit-Policy / RateLimit fields. */
export function decisionHeaders(
  figures: Omit<DecisionFigures, 'contract'>,
  now: number,
): Record<string, string> {
  const headers: Record<string, string> = { 'X-Tier': figures.plan };
  const { minute, day } = figures.rate;
  const policies: string[] = [];
  const states: string[] = [];
  if (minute) {
    headers['X-RateLimit-Limit-Minute'] = String(minute.limit);
    headers['X-RateLimit-Remaining-Minute'] = String(minute.remaining);
    policies.push(`"minute";q=${minute.limit};w=60`);
    states.push(`"minute";r=${minute.remaining};t=${secondsUntil(minute.resetAt, now)}`);
  }
  if (day) {
    headers['X-RateLimit-Limit-Day'] = String(day.limit);
    headers['X-RateLimit-Remaining-Day'] = String(day.remaining);
    policies.push(`"day";q=${day.limit};w=86400`);
    states.push(`"day";r=${day.remaining};t=${secondsUntil(day.resetAt, now)}`);
  }
  // One named policy per limited window of the operation (`"tokens-month";q=100000;w=2592000`).
  if (figures.operation !== null) {
    for (const window of figures.operation.windows) {
      const name = `"${figures.operation.id}-${window.window}"`;
      policies.push(`${name};q=${window.limit};w=${window.seconds}`);
      if (window.remaining !== null) {
        states.push(`${name};r=${window.remaining};t=${window.resetIn}`);
      }
    }
  }
  const nearest = minute ?? day;
  if (nearest) headers['X-RateLimit-Reset'] = String(Math.ceil(nearest.resetAt / 1000));
  if (policies.length > 0) headers['RateLimit-Policy'] = policies.join(', ');
  if (states.length > 0) headers.RateLimit = states.join(', ');

  const { credits } = figures;
  headers['X-Credits-Used'] = formatCredits(figures.eventId === null && !figures.replayed ? 0 : credits.cost);
  headers['X-Credits-Remaining'] =
    credits.remaining === null ? 'unlimited' : formatCredits(credits.remaining);
  headers['X-Credits-Total'] = formatCredits(credits.used);
  if (
    credits.effectiveLimit !== null &&
    credits.remaining !== null &&
    credits.remaining * 10 < credits.effectiveLimit
  ) {
    headers['X-Quota-Warning'] =
      `${formatCredits(credits.remaining)} of ${formatCredits(credits.effectiveLimit)} credits left this period`;
  }
  if (figures.retryAfterSeconds !== null) headers['Retry-After'] = String(figures.retryAfterSeconds);
  return headers;
}

const WINDOW_LABELS: Record<OperationWindow, string> = {
  minute: 'Per-minute',
  hour: 'Hourly',
  day: 'Daily',
  month: 'Monthly',
};

/**
 * The message of a denial by an operation limit, with its figures.
 * @example refusalMessage({ operation: 'video', window: 'day', limit: 3, used: 3, requested: 1 });
 * // 'Daily limit of video exceeded. Used 3/3, requested 1.'
 */
export function refusalMessage(refusal: WindowRefusal): string {
  const { operation, window, limit, used, requested } = refusal;
  return `${WINDOW_LABELS[window]} limit of ${operation} exceeded. Used ${used}/${limit}, requested ${requested}.`;
}

/**
 * The message of a denial by a key's own limit, with its figures.
 * @example keyRefusalMessage({ keyId: 'key_1', kind: 'credits', limit: 30_000, used: 30_000, requested: 1_000 });
 * // "This API key's quota exceeded. Used 30/30 credits this period, requested 1."
 */
export function keyRefusalMessage(refusal: KeyRefusal): string {
  if (refusal.kind === 'rate') {
    return `This API key's rate limit exceeded (${refusal.limit} requests per ${refusal.window}).`;
  }
  const { limit, used, requested } = refusal;
  return `This API key's quota exceeded. Used ${formatCredits(used)}/${formatCredits(limit)} credits this period, requested ${formatCredits(requested)}.`;
}

export function secondsUntil(epochMs: number, now: number): number {
  return Math.max(0, Math.ceil((epochMs - now) / 1000));
}
