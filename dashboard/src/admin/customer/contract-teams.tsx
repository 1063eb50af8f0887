/**
 * Team keys in the customer's keys section (docs/decisions/015): each key's owner, its own limits and
 * its usage this period, the owner and limit fields of the issue form, and the fields of a key's edit
 * dialog. Limits are whole numbers; an empty field means the key has none of that kind (the customer's
 * limit alone applies).
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
 * A typed figure as sent: a number when it reads as one, else the text itself, so the service refuses
 * it naming the field (`Number('ten')` would go out as JSON null, silently "no limit").
 */
function typedFigure(text: string): number | string {
  const figure = Number(text.trim());
  return Number.isFinite(figure) ? figure : text.trim();
}

/**
 * The owner and limits of the issue request; the service checks them (a bad figure answers
 * invalid_request naming the field, shown under the form).
 */
export function teamKeyBody(input: TeamKeyInput): Record<string, unknown> {
  const figure = (text: string) => (text.trim() === '' ? undefined : typedFigure(text));
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

/** The owner and limit inputs of the issue form (`new-key-*`) or of the edit dialog (`edit-key-*`). */
export function TeamKeyFields(props: {
  value: TeamKeyInput;
  onChange: (value: TeamKeyInput) => void;
  /** The edit dialog: ids `edit-key-*`, and an empty field says "none" rather than "optional". */
  editing?: boolean;
}) {
  const prefix = props.editing ? 'edit-key' : 'new-key';
  const hint = props.editing ? '' : ' (optional)';
  const field = (id: keyof TeamKeyInput, label: string, numeric: boolean) => (
    <div className="tg-field">
      <label htmlFor={`${prefix}-${id}`}>
        {label}
        {hint}
      </label>
      <input
        id={`${prefix}-${id}`}
        className="tg-input"
        inputMode={numeric ? 'numeric' : undefined}
        maxLength={numeric ? 16 : 200}
        value={props.value[id]}
        onChange={(event) => props.onChange({ ...props.value, [id]: event.target.value })}
        data-testid={`${prefix}-${id}`}
      />
    </div>
  );
  return (
    <>
      {field('owner', 'Owner', false)}
      {field('credits', 'Credits per period', true)}
      {field('requestsPerMinute', 'Requests per minute', true)}
      {field('requestsPerDay', 'Requests per day', true)}
    </>
  );
}

/** What the edit dialog holds: the key's name besides its owner and limits, text as typed. */
export interface KeyEditInput extends TeamKeyInput {
  name: string;
}

/** The edit dialog's fields filled from the key as listed (a limit the key lacks: empty). */
export function keyEditInput(key: ApiKey): KeyEditInput {
  const figure = (value: number | null | undefined) => (value == null ? '' : String(value));
  return {
    name: key.name ?? '',
    owner: key.owner ?? '',
    credits: figure(key.limits?.credits),
    requestsPerMinute: figure(key.limits?.requests_per_minute),
    requestsPerDay: figure(key.limits?.requests_per_day),
  };
}

/**
 * The `PATCH /api/v1/admin/keys/:id` body: every field says what the key is to be, an empty one
 * removes it (no name, no owner, no limit of that kind; `limits: null` when none is left). The
 * service checks the figures (invalid_request naming the field, shown in the dialog).
 */
export function keyEditBody(input: KeyEditInput): Record<string, unknown> {
  const text = (value: string) => (value.trim() === '' ? null : value.trim());
  const figure = (value: string) => (value.trim() === '' ? null : typedFigure(value));
  const limits = {
    credits: figure(input.credits),
    requests_per_minute: figure(input.requestsPerMinute),
    requests_per_day: figure(input.requestsPerDay),
  };
  const none = Object.values(limits).every((value) => value === null);
  return { name: text(input.name), owner: text(input.owner), limits: none ? null : limits };
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
