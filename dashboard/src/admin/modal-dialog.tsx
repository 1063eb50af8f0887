/**
 * A modal on the native <dialog>: showModal() gives the focus trap, Escape and the inert page; on
 * close, focus goes back to what opened it. Rendered only while open (the parent mounts it).
 */
import { type FormEvent, type ReactNode, useEffect, useId, useRef } from 'react';

export function ModalDialog(props: {
  title: string;
  children: ReactNode;
  /** Escape, the Cancel button, or the parent deciding it is done. */
  onClose: () => void;
  onSubmit: () => void;
  submitLabel: string;
  submitVariant?: 'danger' | 'primary';
  busy?: boolean;
  testId?: string;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const onClose = useRef(props.onClose);
  onClose.current = props.onClose;

  useEffect(() => {
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    const element = dialog.current;
    if (element && !element.open) element.showModal();
    const cancel = (event: Event) => {
      event.preventDefault();
      onClose.current();
    };
    element?.addEventListener('cancel', cancel);
    return () => {
      element?.removeEventListener('cancel', cancel);
      if (element?.open) element.close();
      // The opener can be gone (a revoked key's button, a reactivated customer's action): then the h1.
      if (opener?.isConnected) opener.focus();
      else document.querySelector<HTMLElement>('#main h1')?.focus();
    };
  }, []);

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!props.busy) props.onSubmit();
  }

  return (
    <dialog ref={dialog} className="tg-dialog" aria-labelledby={titleId} data-testid={props.testId}>
      <form className="tg-stack" onSubmit={submit}>
        <h2 id={titleId}>{props.title}</h2>
        {props.children}
        <div className="tg-row tg-dialog-actions">
          <button
            type="button"
            className="tg-button"
            data-variant="secondary"
            onClick={() => props.onClose()}
          >
            Cancel
          </button>
          <button
            type="submit"
            className="tg-button"
            data-variant={props.submitVariant === 'danger' ? 'danger' : undefined}
            disabled={props.busy}
            data-testid="dialog-submit"
          >
            {props.busy ? 'Working…' : props.submitLabel}
          </button>
        </div>
      </form>
    </dialog>
  );
}
