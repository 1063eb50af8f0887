/**
 * "Reactivate" for a past_due or suspended customer: a dialog asks for an optional reason (kept in
 * the audit log), then the API clears the suspension and the page shows the new status.
 */
import { useState } from 'react';
import { useAction } from '../../lib/use-action';
import { useApi } from '../admin-session';
import type { Customer } from '../admin-types';
import { ModalDialog } from '../modal-dialog';

export function ReactivateAction(props: { customer: Customer; onReactivated: (message: string) => void }) {
  const api = useApi();
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState('');
  const action = useAction();
  const { customer } = props;
  if (customer.status !== 'past_due' && customer.status !== 'suspended') return null;

  function reactivate() {
    void action.run(async () => {
      const result = await api.post<{ customer: Customer }>(
        `/api/v1/admin/customers/${encodeURIComponent(customer.id)}/reactivate`,
        reason.trim() === '' ? {} : { reason: reason.trim() },
      );
      setOpen(false);
      setReason('');
      props.onReactivated(`Reactivated: the account is now ${result.customer.status.replace('_', ' ')}.`);
    });
  }

  return (
    <>
      <button type="button" className="tg-button" onClick={() => setOpen(true)} data-testid="reactivate">
        Reactivate
      </button>
      {open ? (
        <ModalDialog
          title={`Reactivate ${customer.name ?? customer.email ?? customer.id}?`}
          submitLabel="Reactivate"
          onSubmit={reactivate}
          onClose={() => {
            setOpen(false);
            action.clear();
          }}
          busy={action.busy}
          testId="reactivate-dialog"
        >
          <p>
            The account is {customer.status.replace('_', ' ')}. Reactivating serves its requests again and
            clears the recorded payment failure; it does not pay the open invoice.
          </p>
          <div className="tg-field">
            <label htmlFor="reactivate-reason">Reason (optional, kept in the audit log)</label>
            <textarea
              id="reactivate-reason"
              className="tg-input"
              rows={3}
              maxLength={500}
              value={reason}
              onChange={(event) => setReason(event.target.value)}
              data-testid="reactivate-reason"
            />
          </div>
          <div role="alert">{action.error ? <p className="tg-error-text">{action.error}</p> : null}</div>
        </ModalDialog>
      ) : null}
    </>
  );
}
