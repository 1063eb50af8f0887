/**
 * A confirmation as a native modal <dialog>: focus moves into it and is trapped there, Escape closes
 * it, and focus returns to the button that opened it. The form inside is labelled by the title and
 * described by the explanation; an API error stays in the dialog so the person can retry or back out.
 */
import { type FormEvent, type ReactNode, useEffect, useId, useRef } from 'react';

export function ConfirmDialog(props: {
  open: boolean;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  dismissLabel: string;
  busy: boolean;
  /**
   * Not confirmable yet (what it confirms is still loading): the button keeps its place and focus,
   * says it is unavailable (aria-disabled) and does nothing until then.
   */
  blocked?: boolean;
  error: string | null;
  tone?: 'danger' | 'primary';
  testId: string;
  onConfirm: (form: FormData) => void;
  onClose: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const bodyId = useId();
  const { open, onClose } = props;

  useEffect(() => {
    const dialog = ref.current;
    if (dialog === null) return;
    if (open && !dialog.open) {
      dialog.showModal();
      dialog.querySelector<HTMLElement>('[data-autofocus]')?.focus();
    }
    if (!open && dialog.open) dialog.close();
  }, [open]);

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!props.busy && !props.blocked) props.onConfirm(new FormData(event.currentTarget));
  };

  return (
    <dialog
      ref={ref}
      className="tg-dialog"
      aria-labelledby={titleId}
      aria-describedby={bodyId}
      data-testid={props.testId}
      // Escape: the browser closes the dialog; keep React's state in step.
      onClose={() => {
        if (open) onClose();
      }}
    >
      {open ? (
        <form onSubmit={submit} aria-labelledby={titleId} className="tg-stack">
          <h2 id={titleId}>{props.title}</h2>
          <div id={bodyId} className="tg-stack">
            {props.children}
          </div>
          <div aria-live="polite">
            {props.error ? (
              <p className="tg-inline-error" role="alert" data-testid={`${props.testId}-error`}>
                {props.error}
              </p>
            ) : null}
          </div>
          <div className="tg-row tg-dialog-actions">
            <button
              type="submit"
              className="tg-button"
              data-variant={props.tone === 'danger' ? 'danger' : undefined}
              disabled={props.busy}
              aria-disabled={props.blocked ? true : undefined}
              data-autofocus
              data-testid={`${props.testId}-confirm`}
            >
              {props.busy ? 'Working…' : props.confirmLabel}
            </button>
            <button type="button" className="tg-button" data-variant="secondary" onClick={onClose}>
              {props.dismissLabel}
            </button>
          </div>
        </form>
      ) : null}
    </dialog>
  );
}
