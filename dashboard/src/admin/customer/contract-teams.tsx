/**
 * Team keys in the customer's keys section (docs/decisions/015): each key's owner, its own limits and
 * its usage this period, and the owner and limit fields of the issue form. Limits are whole numbers;
 * an empty field means the key has none of that kind (the customer's limit alone applies).
 */
import { formatCount, formatCredits } from '../../lib/format';
import type { ApiKey, KeyLimits } from '../admin-types';

/** `30 credits · 10/min · 500/day`, or "Customer's" when the key has none. */
export function KeyLimitsText(props: { limits: KeyLimits | null }) {
  if (props.limits === null) return <span className="tg-muted">Customer's</span>;
  return <span data-testid="key-limits">{keyLimitsWords(props.limits)}</span>;
}

/** The key's credits this period, against its own credit limit when it has one. */
export function KeyUsageText(props: { apiKey: ApiKey }) {
  const usage = props.apiKey.usage;
  if (!usage) return <span className="tg-muted">—</span>;
  const limit = props.apiKey.limits?.credits ?? null;
  return (
    <span data-testid="key-usage">
      {formatCredits(usage.credits_used)}
      {limit !== null ? ` / ${formatCredits(limit)}` : ''} credits
    </span>
  );
}

/** What the issue form holds for a team key: text as typed. */
export interface TeamKeyInput {
  owner: string;
  credits: string;
  requestsPerMinute: string;
  requestsPerDay: string;
}

export const emptyTeamKeyInput: TeamKeyInput = {
  owner: '',
  credits: '',
  requestsPerMinute: '',
  requestsPerDay: '',
};

/**
 * The owner and limits of the issue request; the service checks them (a bad figure answers
 * invalid_request naming the field, shown under the form).
 */
export function teamKeyBody(input: TeamKeyInput): Record<string, unknown> {
  const figure = (text: string) => (text.trim() === '' ? undefined : Number(text.trim()));
  const limits = {
    credits: figure(input.credits),
    requests_per_minute: figure(input.requestsPerMinute),
    requests_per_day: figure(input.requestsPerDay),
  };
  const given = Object.fromEntries(Object.entries(limits).filter(([, value]) => value !== undefined));
  return {
    ...(input.owner.trim() !== '' && { owner: input.owner.trim() }),
    ...(Object.keys(given).length > 0 && { limits: given }),
  };
}

/** The owner and limit inputs of the issue form. */
export function TeamKeyFields(props: { value: TeamKeyInput; onChange: (value: TeamKeyInput) => void }) {
  const field = (id: keyof TeamKeyInput, label: string, numeric: boolean) => (
    <div className="tg-field">
      <label htmlFor={`new-key-${id}`}>{label}</label>
      <input
        id={`new-key-${id}`}
        className="tg-input"
        inputMode={numeric ? 'numeric' : undefined}
        maxLength={numeric ? 16 : 200}
        value={props.value[id]}
        onChange={(event) => props.onChange({ ...props.value, [id]: event.target.value })}
        data-testid={`new-key-${id}`}
      />
    </div>
  );
  return (
    <>
      {field('owner', 'Owner (optional)', false)}
      {field('credits', 'Credits per period (optional)', true)}
      {field('requestsPerMinute', 'Requests per minute (optional)', true)}
      {field('requestsPerDay', 'Requests per day (optional)', true)}
    </>
  );
}

/** `30 credits · 10/min`, or "the customer's" when none: a key's limits in words. */
export function keyLimitsWords(limits: Partial<KeyLimits> | null | undefined): string {
  if (!limits) return "the customer's";
  const parts = [
    limits.credits != null ? `${formatCredits(limits.credits)} credits` : null,
    limits.requests_per_minute != null ? `${formatCount(limits.requests_per_minute)}/min` : null,
    limits.requests_per_day != null ? `${formatCount(limits.requests_per_day)}/day` : null,
  ].filter((part) => part !== null);
  return parts.length === 0 ? "the customer's" : parts.join(' · ');
}

/**
 * A team key's audit detail in words: `limits` of an issued key, and the `before`/`after` of a key
 * change (`name · owner · limits`); undefined for other details.
 */
export function teamKeyAuditText(key: string, raw: unknown): string | undefined {
  if (key === 'limits') return keyLimitsWords(raw as KeyLimits | null);
  if ((key === 'before' || key === 'after') && typeof raw === 'object' && raw !== null) {
    const state = raw as { name?: string | null; owner?: string | null; limits?: KeyLimits | null };
    return [
      state.name ?? 'unnamed',
      state.owner ?? 'no owner',
      `limits ${keyLimitsWords(state.limits)}`,
    ].join(' · ');
  }
  return undefined;
}
