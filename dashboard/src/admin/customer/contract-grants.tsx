/**
 * The customer's one-off grants: what each gave, what is used and left, and the admin's actions: make
 * one (credits, or units of an operation its plan limits per month; for this period or until used)
 * and revoke what is unspent after a confirmation. A grant's idempotency key is made once per filled-in
 * form, so a retried submit (a timeout, a double click) makes one grant.
 */
import { type FormEvent, useState } from 'react';
import { formatCount, formatCredits, formatDate } from '../../lib/format';
import { EmptyState, ErrorState, Skeleton } from '../../lib/ui';
import { useAction } from '../../lib/use-action';
import { useResource } from '../../lib/use-resource';
import { useApi } from '../admin-session';
import { ModalDialog } from '../modal-dialog';

export interface Grant {
  id: string;
  kind: 'credits' | 'operation';
  operation: string | null;
  amount: number;
  used: number;
  remaining: number;
  status: 'active' | 'used' | 'expired' | 'revoked';
  expires: 'period' | 'until_used';
  expires_at: string | null;
  reason: string | null;
  created_at: string;
  created_by: string | null;
  revoked_at: string | null;
}

const newKey = () => `console-${crypto.randomUUID()}`;

function figure(grant: Grant, value: number): string {
  return grant.kind === 'credits'
    ? `${formatCredits(value)} credits`
    : `${formatCount(value)} ${grant.operation}`;
}

/** A period grant's `expires_at` is the period's end (exclusive): its last day is the one before. */
function expiry(grant: Grant): string {
  if (grant.expires === 'period' && grant.expires_at !== null)
    return `End of period (${formatDate(new Date(Date.parse(grant.expires_at) - 1).toISOString())})`;
  return grant.expires_at === null ? 'Until used' : `Until used, by ${formatDate(grant.expires_at)}`;
}

export function ContractGrants(props: { customerId: string; onChanged: (message: string) => void }) {
  const api = useApi();
  const path = `/api/v1/admin/customers/${encodeURIComponent(props.customerId)}/grants`;
  const grants = useResource((signal) => api.get<{ data: Grant[] }>(path, undefined, signal), [api, path]);
  const [kind, setKind] = useState<'credits' | 'operation'>('credits');
  const [amount, setAmount] = useState('');
  const [operation, setOperation] = useState('');
  const [expires, setExpires] = useState<'period' | 'until_used'>('until_used');
  const [reason, setReason] = useState('');
  const [key, setKey] = useState(newKey);
  const granting = useAction();
  const [revoking, setRevoking] = useState<Grant | null>(null);
  const revokeAction = useAction();

  /** Any change of the form makes it another grant, with another key. */
  const edit =
    <T,>(set: (value: T) => void) =>
    (value: T) => {
      set(value);
      setKey(newKey());
    };

  function grant(event: FormEvent) {
    event.preventDefault();
    void granting.run(async () => {
      const figureOf = Number(amount);
      const body = {
        ...(kind === 'credits' ? { credits: figureOf } : { operation: operation.trim(), quantity: figureOf }),
        expires,
        idempotency_key: key,
        ...(reason.trim() === '' ? {} : { reason: reason.trim() }),
      };
      const made = await api.post<{ grant: Grant }>(path, body);
      setAmount('');
      setReason('');
      setKey(newKey());
      grants.reload();
      props.onChanged(`Granted ${figure(made.grant, made.grant.amount)}.`);
    });
  }

  function revoke(target: Grant) {
    return revokeAction.run(async () => {
      await api.delete(`${path}/${encodeURIComponent(target.id)}`);
      setRevoking(null);
      grants.reload();
      props.onChanged(`Grant revoked: ${figure(target, target.remaining)} taken back.`);
    });
  }

  const list = grants.data?.data;
  return (
    <section className="tg-card tg-stack" aria-labelledby="grants-heading" data-testid="contract-grants">
      <h2 id="grants-heading">Grants</h2>
      <p className="tg-small tg-muted">
        Credits or operation units given on top of the plan, spent before its quota.
      </p>
      {grants.state === 'loading' ? <Skeleton height={80} label="Loading grants" /> : null}
      {grants.state === 'error' ? <ErrorState error={grants.error} retry={grants.reload} /> : null}
      {list !== undefined && list.length === 0 ? <EmptyState>No grants.</EmptyState> : null}
      {list !== undefined && list.length > 0 ? (
        <div className="tg-table-wrap">
          <table className="tg-table tg-table-stack">
            <caption className="tg-visually-hidden">Grants</caption>
            <thead>
              <tr>
                <th scope="col">Granted</th>
                <th scope="col">Used</th>
                <th scope="col">Left</th>
                <th scope="col">Expires</th>
                <th scope="col">Status</th>
                <th scope="col">Reason</th>
                <th scope="col">
                  <span className="tg-visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.map((entry) => (
                <tr
                  key={entry.id}
                  data-testid="grant-row"
                  data-grant-id={entry.id}
                  data-status={entry.status}
                >
                  <td data-label="Granted">{figure(entry, entry.amount)}</td>
                  <td data-label="Used">{figure(entry, entry.used)}</td>
                  <td data-label="Left" data-testid="grant-remaining">
                    {figure(entry, entry.remaining)}
                  </td>
                  <td data-label="Expires">{expiry(entry)}</td>
                  <td data-label="Status">{entry.status}</td>
                  <td data-label="Reason">{entry.reason ?? <span className="tg-muted">—</span>}</td>
                  <td>
                    {entry.status === 'active' ? (
                      <button
                        type="button"
                        className="tg-button"
                        data-variant="danger"
                        onClick={() => {
                          revokeAction.clear();
                          setRevoking(entry);
                        }}
                        data-testid="revoke-grant"
                        aria-label={`Revoke the grant of ${figure(entry, entry.amount)}`}
                      >
                        Revoke
                      </button>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <form className="tg-row tg-align-end" onSubmit={grant} data-testid="grant-form">
        <div className="tg-field">
          <label htmlFor="grant-kind">Grant</label>
          <select
            id="grant-kind"
            className="tg-select"
            value={kind}
            onChange={(event) => edit(setKind)(event.target.value === 'operation' ? 'operation' : 'credits')}
            data-testid="grant-kind"
          >
            <option value="credits">Credits</option>
            <option value="operation">Operation units</option>
          </select>
        </div>
        {kind === 'operation' ? (
          <div className="tg-field">
            <label htmlFor="grant-operation">Operation</label>
            <input
              id="grant-operation"
              className="tg-input"
              required
              maxLength={100}
              value={operation}
              onChange={(event) => edit(setOperation)(event.target.value)}
              data-testid="grant-operation"
            />
          </div>
        ) : null}
        <div className="tg-field">
          <label htmlFor="grant-amount">{kind === 'credits' ? 'Credits' : 'Units'}</label>
          <input
            id="grant-amount"
            className="tg-input"
            required
            inputMode="decimal"
            value={amount}
            onChange={(event) => edit(setAmount)(event.target.value)}
            data-testid="grant-amount"
          />
        </div>
        <div className="tg-field">
          <label htmlFor="grant-expires">Expires</label>
          <select
            id="grant-expires"
            className="tg-select"
            value={expires}
            onChange={(event) => edit(setExpires)(event.target.value === 'period' ? 'period' : 'until_used')}
            data-testid="grant-expires"
          >
            <option value="until_used">When used up</option>
            <option value="period">At the end of this period</option>
          </select>
        </div>
        <div className="tg-field">
          <label htmlFor="grant-reason">Reason (optional)</label>
          <input
            id="grant-reason"
            className="tg-input"
            maxLength={500}
            value={reason}
            onChange={(event) => edit(setReason)(event.target.value)}
            data-testid="grant-reason"
          />
        </div>
        <button type="submit" className="tg-button" disabled={granting.busy} data-testid="grant-submit">
          {granting.busy ? 'Granting…' : 'Grant'}
        </button>
      </form>
      <div role="alert">
        {granting.error ? (
          <p className="tg-error-text" data-testid="grant-error">
            {granting.error}
          </p>
        ) : null}
      </div>
      {revoking ? (
        <ModalDialog
          title={`Revoke the grant of ${figure(revoking, revoking.amount)}?`}
          submitLabel="Revoke grant"
          submitVariant="danger"
          onSubmit={() => revoke(revoking)}
          onClose={() => setRevoking(null)}
          busy={revokeAction.busy}
          testId="revoke-grant-dialog"
        >
          <p>
            {figure(revoking, revoking.remaining)} left are taken back; what was used stays used. This cannot
            be undone.
          </p>
          <div role="alert">
            {revokeAction.error ? <p className="tg-error-text">{revokeAction.error}</p> : null}
          </div>
        </ModalDialog>
      ) : null}
    </section>
  );
}
