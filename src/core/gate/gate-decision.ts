/**
 * The gate's answer for one request, as a value: allowed or not, why, the figures behind it, and the
 * response headers of the API contract. Middleware and the HTTP service only copy it onto the reply.
 */
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
  /** Included quota for the period (milli-credits); null = unlimited. */
  limit: number | null;
  /** Quota left (milli-credits, never negative); null = unlimited. */
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
  /** Seconds to wait before retrying (429 only). */
  retryAfterSeconds: number | null;
  upgradeUrl: string | null;
  /** The recorded usage event, when consume debited. */
  eventId: string | null;
  /** True when an idempotent retry got the first request's answer. */
  replayed: boolean;
  headers: Record<string, string>;
  /** Frees the concurrency slot this request holds; safe to call more than once. */
  release: () => void;
}

export type DecisionFigures = Omit<GateDecision, 'status' | 'message' | 'headers' | 'release'>;

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
  readonly retryAfterSeconds: number | null;
  readonly upgradeUrl: string | null;
  readonly eventId: string | null;
  readonly replayed: boolean;
  readonly release: () => void;
  #headers: Record<string, string> | null = null;
  readonly #now: number;

  constructor(figures: DecisionFigures, now: number, release: () => void) {
    const reason = figures.reason;
    this.allowed = figures.allowed;
    this.reason = reason;
    this.status = reason === null ? 200 : errorRegistry[reason].status;
    this.message = reason === null ? null : denialMessage(reason, figures);
    this.customerId = figures.customerId;
    this.plan = figures.plan;
    this.credits = figures.credits;
    this.rate = figures.rate;
    this.refusal = figures.refusal;
    this.retryAfterSeconds = figures.retryAfterSeconds;
    this.upgradeUrl = figures.upgradeUrl;
    this.eventId = figures.eventId;
    this.replayed = figures.replayed;
    this.release = release;
    this.#now = now;
  }

  get headers(): Record<string, string> {
    this.#headers ??= decisionHeaders(this, this.#now);
    return this.#headers;
  }
}

export function buildDecision(
  figures: DecisionFigures,
  now: number,
  release: () => void = noop,
): GateDecision {
  return new Decision(figures, now, release);
}

/** The headers of DESIGN section 6, plus the IETF RateLimit-Policy / RateLimit fields. */
export function decisionHeaders(figures: DecisionFigures, now: number): Record<string, string> {
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
  const nearest = minute ?? day;
  if (nearest) headers['X-RateLimit-Reset'] = String(Math.ceil(nearest.resetAt / 1000));
  if (policies.length > 0) {
    headers['RateLimit-Policy'] = policies.join(', ');
    headers.RateLimit = states.join(', ');
  }

  const { credits } = figures;
  headers['X-Credits-Used'] = formatCredits(figures.eventId === null && !figures.replayed ? 0 : credits.cost);
  headers['X-Credits-Remaining'] =
    credits.remaining === null ? 'unlimited' : formatCredits(credits.remaining);
  headers['X-Credits-Total'] = formatCredits(credits.used);
  if (credits.limit !== null && credits.remaining !== null && credits.remaining * 10 < credits.limit) {
    headers['X-Quota-Warning'] =
      `${formatCredits(credits.remaining)} of ${formatCredits(credits.limit)} credits left this period`;
  }
  if (figures.retryAfterSeconds !== null) headers['Retry-After'] = String(figures.retryAfterSeconds);
  return headers;
}

export function secondsUntil(epochMs: number, now: number): number {
  return Math.max(0, Math.ceil((epochMs - now) / 1000));
}
