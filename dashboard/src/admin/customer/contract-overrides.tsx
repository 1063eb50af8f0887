/**
 * The customer's contract overrides: each limit or feature its contract sets instead of its plan,
 * with the plan's value, expiry and whether it is in force; a form to set one (optionally until a
 * time, with a reason for the audit log) and a button to remove one. Values are in the catalog's
 * units, as the API takes them (credits as credits, `unlimited` or empty for no limit).
 */
import { type FormEvent, useState } from 'react';
import { formatDateTime } from '../../lib/format';
import { EmptyState } from '../../lib/ui';
import { useAction } from '../../lib/use-action';
import { useApi } from '../admin-session';
import type { CustomerOverride } from '../admin-types';

const LIMIT_KEYS = [
  'credits',
  'requests_per_minute',
  'requests_per_day',
  'concurrent_requests',
  'storage_bytes',
  'storage_items',
  'overage',
  'spending_cap',
];
const WINDOWS = ['minute', 'hour', 'day', 'month', 'overage'];

/** What the admin typed: JSON when it parses (`5000`, `true`, `{...}`), "unlimited" or empty as no limit, else text (`10GB`). */
function parseValue(text: string): unknown {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed.toLowerCase() === 'unlimited') return null;
  try {
    return JSON.parse(trimmed);
  } catch {
    return trimmed;
  }
}

/** A dotted key as the PUT body nests it: `operations.tokens.month` -> `{ limits: { operations: { tokens: { month } } } }`. */
export function overrideBody(key: string, value: unknown): Record<string, unknown> {
  const [head, name, part] = key.split('.');
  if (head === 'features' && name) return { features: { [name]: value } };
  if (head === 'operations' && name && part) return { limits: { operations: { [name]: { [part]: value } } } };
  return { limits: { [key]: value } };
}

function shown(value: unknown): string {
  if (value === null) return 'unlimited';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

export function ContractOverrides(props: {
  customerId: string;
  overrides: CustomerOverride[];
  operations: string[];
  onChanged: (message: string) => void;
}) {
  const api = useApi();
  const [key, setKey] = useState('');
  const [value, setValue] = useState('');
  const [expiresAt, setExpiresAt] = useState('');
  const [reason, setReason] = useState('');
  const action = useAction();
  const base = `/api/v1/admin/customers/${encodeURIComponent(props.customerId)}/overrides`;
  const suggestions = [
    ...LIMIT_KEYS,
    ...props.operations.flatMap((operation) => WINDOWS.map((window) => `operations.${operation}.${window}`)),
  ];

  function save(event: FormEvent) {
    event.preventDefault();
    void action.run(async () => {
      const trimmedKey = key.trim();
      await api.put(base, {
        ...overrideBody(trimmedKey, parseValue(value)),
        ...(expiresAt !== '' ? { expires_at: new Date(`${expiresAt}Z`).toISOString() } : {}),
        ...(reason.trim() !== '' ? { reason: reason.trim() } : {}),
      });
      setKey('');
      setValue('');
      setExpiresAt('');
      setReason('');
      props.onChanged(`Override of ${trimmedKey} saved.`);
    });
  }

  function remove(override: CustomerOverride) {
    return action.run(async () => {
      await api.delete(`${base}/${encodeURIComponent(override.key)}`);
      props.onChanged(`Override of ${override.key} removed: the plan's value applies.`);
    });
  }

  return (
    <section
      className="tg-card tg-stack"
      aria-labelledby="overrides-heading"
      data-testid="contract-overrides"
    >
      <h2 id="overrides-heading">Contract overrides</h2>
      {props.overrides.length === 0 ? (
        <EmptyState>Every limit and feature is the plan's.</EmptyState>
      ) : (
        <div className="tg-table-wrap">
          <table className="tg-table tg-table-stack">
            <caption className="tg-visually-hidden">Contract overrides</caption>
            <thead>
              <tr>
                <th scope="col">Limit or feature</th>
                <th scope="col">Contract</th>
                <th scope="col">Plan</th>
                <th scope="col">Until</th>
                <th scope="col">Reason</th>
                <th scope="col">
                  <span className="tg-visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {props.overrides.map((override) => (
                <tr
                  key={override.key}
                  data-testid="override-row"
                  data-key={override.key}
                  data-in-force={override.in_force}
                >
                  <td data-label="Limit or feature" className="tg-code">
                    {override.key}
                  </td>
                  <td data-label="Contract" data-testid="override-value">
                    {shown(override.value)}
                  </td>
                  <td data-label="Plan">{shown(override.plan_value)}</td>
                  <td data-label="Until">
                    {override.expires_at === null ? 'Until removed' : formatDateTime(override.expires_at)}
                    {override.in_force ? null : <span className="tg-muted"> (expired)</span>}
                  </td>
                  <td data-label="Reason">{override.reason ?? <span className="tg-muted">None</span>}</td>
                  <td>
                    <button
                      type="button"
                      className="tg-button"
                      data-variant="danger"
                      disabled={action.busy}
                      onClick={() => void remove(override)}
                      data-testid="remove-override"
                      aria-label={`Remove the override of ${override.key}`}
                    >
                      Remove
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <form className="tg-row tg-align-end" onSubmit={save} data-testid="override-form">
        <div className="tg-field">
          <label htmlFor="override-key">Limit or feature</label>
          <input
            id="override-key"
            className="tg-input"
            list="override-keys"
            required
            maxLength={200}
            placeholder="credits, features.federation"
            value={key}
            onChange={(event) => setKey(event.target.value)}
            data-testid="override-key"
          />
          <datalist id="override-keys">
            {suggestions.map((suggestion) => (
              <option key={suggestion} value={suggestion} />
            ))}
          </datalist>
        </div>
        <div className="tg-field">
          <label htmlFor="override-value">Value (catalog units; empty = unlimited)</label>
          <input
            id="override-value"
            className="tg-input"
            placeholder="5000, 10GB, true"
            value={value}
            onChange={(event) => setValue(event.target.value)}
            data-testid="override-value-input"
          />
        </div>
        <div className="tg-field">
          <label htmlFor="override-expires">Until (UTC, optional)</label>
          <input
            id="override-expires"
            className="tg-input"
            type="datetime-local"
            value={expiresAt}
            onChange={(event) => setExpiresAt(event.target.value)}
            data-testid="override-expires"
          />
        </div>
        <div className="tg-field">
          <label htmlFor="override-reason">Reason (optional, kept in the audit log)</label>
          <input
            id="override-reason"
            className="tg-input"
            maxLength={500}
            value={reason}
            onChange={(event) => setReason(event.target.value)}
            data-testid="override-reason"
          />
        </div>
        <button type="submit" className="tg-button" disabled={action.busy} data-testid="save-override">
          {action.busy ? 'Saving…' : 'Set override'}
        </button>
      </form>
      <div role="alert">{action.error ? <p className="tg-error-text">{action.error}</p> : null}</div>
    </section>
  );
}
