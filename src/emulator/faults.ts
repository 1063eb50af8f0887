/**
 * Fault injection for resilience tests: API answers that fail (500), throttle (429) or stall, and webhook
 * deliveries that are dropped, duplicated or reordered.
 *
 * A rule applies to the next `count` matching requests, or to a `rate` share of them drawn from a seeded
 * generator, so a failing test replays identically.
 */
import { invalidRequest } from './errors.js';

export type ApiFaultType = 'error' | 'rate_limit' | 'delay';
export type WebhookFaultType = 'webhook_drop' | 'webhook_duplicate' | 'webhook_reorder';
export type FaultType = ApiFaultType | WebhookFaultType;

export interface FaultRule {
  id: string;
  type: FaultType;
  /** How many more times the rule fires; undefined means unlimited (use with `rate`). */
  remaining: number | undefined;
  /** Share of matching requests affected, 0..1; undefined means every one. */
  rate: number | undefined;
  /** HTTP status for `error` faults (default 500). */
  status: number;
  delayMs: number;
  pathPrefix: string | undefined;
  method: string | undefined;
  /** For webhook faults: only events of this type. */
  eventType: string | undefined;
  fired: number;
}

export interface FaultInput {
  type: string;
  count?: number;
  rate?: number;
  status?: number;
  delay_ms?: number;
  path_prefix?: string;
  method?: string;
  event_type?: string;
  seed?: number;
}

const TYPE_ALIASES: Record<string, FaultType> = {
  '500': 'error',
  error: 'error',
  server_error: 'error',
  '429': 'rate_limit',
  rate_limit: 'rate_limit',
  slow: 'delay',
  delay: 'delay',
  webhook_drop: 'webhook_drop',
  webhook_duplicate: 'webhook_duplicate',
  webhook_reorder: 'webhook_reorder',
};

/** mulberry32: small, fast and good enough to pick which requests fail. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Faults {
  private rules: FaultRule[] = [];
  private random: () => number;
  private nextId = 1;

  constructor(private seed = 1) {
    this.random = seededRandom(seed);
  }

  add(input: FaultInput): FaultRule {
    const type = TYPE_ALIASES[String(input.type)];
    if (type === undefined) {
      throw invalidRequest(
        `Unknown fault type '${input.type}'. Use one of: ${Object.keys(TYPE_ALIASES).join(', ')}`,
        'type',
      );
    }
    if (input.rate !== undefined && (input.rate < 0 || input.rate > 1)) {
      throw invalidRequest('rate must be between 0 and 1', 'rate');
    }
    if (input.seed !== undefined) this.random = seededRandom(input.seed);
    const status = input.status ?? (type === 'rate_limit' ? 429 : 500);
    const rule: FaultRule = {
      id: `fault_${this.nextId++}`,
      type,
      remaining: input.count ?? (input.rate === undefined ? 1 : undefined),
      rate: input.rate,
      status,
      delayMs: input.delay_ms ?? 1000,
      pathPrefix: input.path_prefix,
      method: input.method?.toUpperCase(),
      eventType: input.event_type,
      fired: 0,
    };
    this.rules.push(rule);
    return rule;
  }

  list(): FaultRule[] {
    return this.rules.map((rule) => ({ ...rule }));
  }

  clear(): void {
    this.rules = [];
    this.random = seededRandom(this.seed);
  }

  /** The API faults that fire for this request (a delay can combine with an error). */
  forRequest(method: string, path: string): FaultRule[] {
    return this.take(
      (rule) =>
        (rule.type === 'error' || rule.type === 'rate_limit' || rule.type === 'delay') &&
        (rule.pathPrefix === undefined || path.startsWith(rule.pathPrefix)) &&
        (rule.method === undefined || rule.method === method),
    );
  }

  forWebhook(eventType: string): FaultRule[] {
    return this.take(
      (rule) =>
        rule.type.startsWith('webhook_') && (rule.eventType === undefined || rule.eventType === eventType),
    );
  }

  private take(matches: (rule: FaultRule) => boolean): FaultRule[] {
    const fired: FaultRule[] = [];
    for (const rule of this.rules) {
      if (!matches(rule)) continue;
      if (rule.remaining !== undefined && rule.remaining <= 0) continue;
      if (rule.rate !== undefined && this.random() >= rule.rate) continue;
      if (rule.remaining !== undefined) rule.remaining -= 1;
      rule.fired += 1;
      fired.push(rule);
    }
    this.rules = this.rules.filter((rule) => rule.remaining === undefined || rule.remaining > 0);
    return fired;
  }
}
