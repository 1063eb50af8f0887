/**
 * The customer's API keys: issue one (its secret is shown here once, with a copy button), edit a key's
 * name, owner and limits in a dialog, and revoke one after a confirmation dialog.
 */
import { type FormEvent, useState } from 'react';
import { formatDateTime } from '../../lib/format';
import { EmptyState } from '../../lib/ui';
import { useAction } from '../../lib/use-action';
import { useApi } from '../admin-session';
import type { ApiKey, IssuedKey } from '../admin-types';
import { ModalDialog } from '../modal-dialog';
import {
  emptyTeamKeyInput,
  type KeyEditInput,
  KeyLimitsText,
  KeyUsageText,
  keyEditBody,
  keyEditInput,
  TeamKeyFields,
  teamKeyBody,
} from './contract-teams';
import { IssuedKeyNotice } from './issued-key-notice';

export function ApiKeysSection(props: {
  customerId: string;
  keys: ApiKey[];
  onChanged: (message: string) => void;
}) {
  const api = useApi();
  const [name, setName] = useState('');
  const [team, setTeam] = useState(emptyTeamKeyInput);
  const issuing = useAction();
  const [issued, setIssued] = useState<IssuedKey | null>(null);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  const revokeAction = useAction();
  const [editing, setEditing] = useState<ApiKey | null>(null);
  const [edit, setEdit] = useState<KeyEditInput | null>(null);
  const editAction = useAction();

  function issue(event: FormEvent) {
    event.preventDefault();
    void issuing.run(async () => {
      const key = await api.post<IssuedKey>(
        `/api/v1/admin/customers/${encodeURIComponent(props.customerId)}/keys`,
        { ...(name.trim() === '' ? {} : { name: name.trim() }), ...teamKeyBody(team) },
      );
      setIssued(key);
      setName('');
      setTeam(emptyTeamKeyInput);
      props.onChanged(`Key ${key.prefix}… issued.`);
    });
  }

  function startEdit(key: ApiKey) {
    editAction.clear();
    setEdit(keyEditInput(key));
    setEditing(key);
  }

  /** A refused figure: the service's message names the field; the dialog stays open to fix it. */
  function saveEdit(key: ApiKey, input: KeyEditInput) {
    return editAction.run(async () => {
      await api.patch(`/api/v1/admin/keys/${encodeURIComponent(key.id)}`, keyEditBody(input));
      setEditing(null);
      props.onChanged(`Key ${key.prefix}… changed.`);
    });
  }

  function revoke(key: ApiKey) {
    return revokeAction.run(async () => {
      await api.delete(`/api/v1/admin/keys/${encodeURIComponent(key.id)}`);
      setRevoking(null);
      if (issued?.id === key.id) setIssued(null);
      props.onChanged(`Key ${key.prefix}… revoked.`);
    });
  }

  return (
    <section className="tg-card tg-stack" aria-labelledby="keys-heading" data-testid="api-keys">
      <h2 id="keys-heading">API keys</h2>
      {props.keys.length === 0 ? (
        <EmptyState>This customer has no API keys.</EmptyState>
      ) : (
        <div className="tg-table-wrap">
          <table className="tg-table tg-table-stack">
            <caption className="tg-visually-hidden">API keys</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Owner</th>
                <th scope="col">Limits</th>
                <th scope="col">Usage this period</th>
                <th scope="col">Prefix</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">Revoked</th>
                <th scope="col">
                  <span className="tg-visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {props.keys.map((key) => (
                <tr
                  key={key.id}
                  data-testid="api-key-row"
                  data-key-id={key.id}
                  data-revoked={key.revoked_at !== null}
                >
                  <td data-label="Name">{key.name ?? <span className="tg-muted">Unnamed</span>}</td>
                  <td data-label="Owner">{key.owner ?? <span className="tg-muted">—</span>}</td>
                  <td data-label="Limits">
                    <KeyLimitsText limits={key.limits ?? null} />
                  </td>
                  <td data-label="Usage this period">
                    <KeyUsageText apiKey={key} />
                  </td>
                  <td data-label="Prefix" className="tg-code">
                    {key.prefix}…
                  </td>
                  <td data-label="Created">{formatDateTime(key.created_at)}</td>
                  <td data-label="Last used">
                    {key.last_used_at ? formatDateTime(key.last_used_at) : 'Never'}
                  </td>
                  <td data-label="Revoked">{key.revoked_at ? formatDateTime(key.revoked_at) : 'No'}</td>
                  <td>
                    {key.revoked_at === null ? (
                      <div className="tg-row">
                        <button
                          type="button"
                          className="tg-button"
                          data-variant="secondary"
                          onClick={() => startEdit(key)}
                          data-testid="edit-key"
                          aria-label={`Edit key ${key.name ?? key.prefix}`}
                        >
                          Edit
                        </button>
                        <button
                          type="button"
                          className="tg-button"
                          data-variant="danger"
                          onClick={() => {
                            revokeAction.clear();
                            setRevoking(key);
                          }}
                          data-testid="revoke-key"
                          aria-label={`Revoke key ${key.name ?? key.prefix}`}
                        >
                          Revoke
                        </button>
                      </div>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {issued ? <IssuedKeyNotice issued={issued} onDismiss={() => setIssued(null)} /> : null}
      <form className="tg-row tg-align-end" onSubmit={issue}>
        <div className="tg-field">
          <label htmlFor="new-key-name">New key name (optional)</label>
          <input
            id="new-key-name"
            className="tg-input"
            maxLength={100}
            value={name}
            onChange={(event) => setName(event.target.value)}
            data-testid="new-key-name"
          />
        </div>
        <TeamKeyFields value={team} onChange={setTeam} />
        <button type="submit" className="tg-button" disabled={issuing.busy} data-testid="issue-key">
          {issuing.busy ? 'Issuing…' : 'Issue key'}
        </button>
      </form>
      <div role="alert">{issuing.error ? <p className="tg-error-text">{issuing.error}</p> : null}</div>
      {editing && edit ? (
        <ModalDialog
          title={`Edit key ${editing.name ?? `${editing.prefix}…`}`}
          submitLabel="Save key"
          onSubmit={() => saveEdit(editing, edit)}
          onClose={() => setEditing(null)}
          busy={editAction.busy}
          testId="edit-key-dialog"
        >
          <div className="tg-field">
            <label htmlFor="edit-key-name">Name</label>
            <input
              id="edit-key-name"
              className="tg-input"
              maxLength={100}
              value={edit.name}
              onChange={(event) => setEdit({ ...edit, name: event.target.value })}
              data-testid="edit-key-name"
            />
          </div>
          <TeamKeyFields value={edit} onChange={(team) => setEdit({ ...edit, ...team })} editing />
          <p className="tg-small tg-muted">
            An empty field removes it: an empty limit leaves the customer's limit alone. Every instance obeys
            the change from its next request.
          </p>
          <div role="alert">
            {editAction.error ? <p className="tg-error-text">{editAction.error}</p> : null}
          </div>
        </ModalDialog>
      ) : null}
      {revoking ? (
        <ModalDialog
          title={`Revoke key ${revoking.prefix}…?`}
          submitLabel="Revoke key"
          submitVariant="danger"
          onSubmit={() => revoke(revoking)}
          onClose={() => setRevoking(null)}
          busy={revokeAction.busy}
          testId="revoke-dialog"
        >
          <p>Requests with this key are refused from now on, on every instance. This cannot be undone.</p>
          <div role="alert">
            {revokeAction.error ? <p className="tg-error-text">{revokeAction.error}</p> : null}
          </div>
        </ModalDialog>
      ) : null}
    </section>
  );
}
