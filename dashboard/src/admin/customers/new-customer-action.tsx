/**
 * "New customer": a dialog asks for a name, an email and a plan, POST /api/v1/admin/customers creates
 * the customer with its first API key, and the key is shown once (with Copy) beside a link to the new
 * customer (CreatedCustomerNotice). A refusal (an invalid email, say) is the API's sentence in the dialog.
 */
import { useState } from 'react';
import { Link } from 'wouter';
import { ApiError } from '../../lib/api';
import { errorText } from '../../lib/ui';
import { useAction } from '../../lib/use-action';
import { useApi } from '../admin-session';
import type { Customer, IssuedKey } from '../admin-types';
import { IssuedKeyNotice } from '../customer/issued-key-notice';
import { ModalDialog } from '../modal-dialog';
import { usePlanName, usePlans } from '../plan-names';
import { customerLabel } from './customers-table';

export interface CreatedCustomer {
  customer: Customer;
  api_key: IssuedKey;
}

/** The API's field errors ("email: Invalid email address") after its sentence. */
function refusalText(error: unknown): string {
  if (!(error instanceof ApiError)) return error instanceof Error ? errorText(error) : String(error);
  const details = Array.isArray(error.body.details)
    ? (error.body.details as { path?: string; message?: string }[])
    : [];
  const fields = details.map((detail) => `${detail.path ?? ''}: ${detail.message ?? ''}`).join('; ');
  return fields ? `${error.message} (${fields})` : error.message;
}

function TextField(props: {
  id: string;
  label: string;
  type?: 'text' | 'email';
  maxLength: number;
  value: string;
  onChange: (value: string) => void;
}) {
  return (
    <div className="tg-field">
      <label htmlFor={props.id}>{props.label}</label>
      <input
        id={props.id}
        className="tg-input"
        type={props.type ?? 'text'}
        maxLength={props.maxLength}
        autoComplete="off"
        value={props.value}
        onChange={(event) => props.onChange(event.target.value)}
      />
    </div>
  );
}

export function NewCustomerAction(props: { onCreated: (created: CreatedCustomer) => void }) {
  const api = useApi();
  const plans = usePlans();
  const [open, setOpen] = useState(false);
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [plan, setPlan] = useState('');
  const action = useAction(refusalText);

  function close() {
    setOpen(false);
    action.clear();
  }

  function create() {
    void action.run(async () => {
      const result = await api.post<CreatedCustomer>('/api/v1/admin/customers', {
        ...(name.trim() ? { name: name.trim() } : {}),
        ...(email.trim() ? { email: email.trim() } : {}),
        ...(plan ? { plan } : {}),
      });
      setOpen(false);
      setName('');
      setEmail('');
      setPlan('');
      props.onCreated(result);
    });
  }

  return (
    <>
      <button type="button" className="tg-button" onClick={() => setOpen(true)} data-testid="new-customer">
        New customer
      </button>
      {open ? (
        <ModalDialog
          title="New customer"
          submitLabel="Create customer"
          onSubmit={create}
          onClose={close}
          busy={action.busy}
          testId="new-customer-dialog"
        >
          <p className="tg-small tg-muted">
            The customer gets its first API key, shown once after this. Name and email are optional.
          </p>
          <TextField id="new-customer-name" label="Name" maxLength={200} value={name} onChange={setName} />
          <TextField
            id="new-customer-email"
            label="Email"
            type="email"
            maxLength={254}
            value={email}
            onChange={setEmail}
          />
          <div className="tg-field">
            <label htmlFor="new-customer-plan">Plan</label>
            <select
              id="new-customer-plan"
              className="tg-select"
              value={plan}
              onChange={(event) => setPlan(event.target.value)}
            >
              <option value="">The catalog's default plan</option>
              {(plans ?? []).map((option) => (
                <option key={option.id} value={option.id}>
                  {option.name}
                </option>
              ))}
            </select>
          </div>
          <div role="alert" data-testid="new-customer-error">
            {action.error ? <p className="tg-error-text">{action.error}</p> : null}
          </div>
        </ModalDialog>
      ) : null}
    </>
  );
}

/** The new customer, linked, and its first key, shown this once. */
export function CreatedCustomerNotice(props: { created: CreatedCustomer; onDismiss: () => void }) {
  const { created } = props;
  const planName = usePlanName();
  return (
    <section className="tg-stack" aria-label="New customer" data-testid="new-customer-created">
      <p>
        Created{' '}
        <Link href={`/customers/${encodeURIComponent(created.customer.id)}`} className="tg-strong-link">
          {customerLabel(created.customer)}
        </Link>{' '}
        on the {planName(created.customer.plan)} plan.
      </p>
      <IssuedKeyNotice issued={created.api_key} onDismiss={props.onDismiss} />
    </section>
  );
}
