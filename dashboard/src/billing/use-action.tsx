/**
 * One user action at a time per place on the page (a button, a dialog): busy while it runs, then the
 * result as a sentence in a live region, or the API's own message when it failed (402 payment_failed,
 * 409 conflict, ...), shown next to the control that caused it. Starting an action makes its message
 * the page's current one (notices.tsx): the previous action's message goes.
 */
import { useCallback, useState } from 'react';
import { errorText } from '../lib/ui';
import { isCurrent, type Notice, useNotices } from './notices';

export interface ActionState {
  id: string;
  busy: boolean;
  error: string | null;
  message: Notice | null;
}

export interface Action extends ActionState {
  /** Runs `work`; its answer is the success message (or null for none). True when it succeeded. */
  run: (work: () => Promise<Notice | string | null>) => Promise<boolean>;
  reset: () => void;
}

export function useAction(id: string): Action {
  const { claim } = useNotices();
  const [state, setState] = useState<Omit<ActionState, 'id'>>({ busy: false, error: null, message: null });
  const run = useCallback(
    async (work: () => Promise<Notice | string | null>) => {
      claim(id);
      setState({ busy: true, error: null, message: null });
      try {
        const answer = await work();
        setState({
          busy: false,
          error: null,
          message: typeof answer === 'string' ? { text: answer } : answer,
        });
        return true;
      } catch (error) {
        setState({
          busy: false,
          error: errorText(error instanceof Error ? error : new Error(String(error))),
          message: null,
        });
        return false;
      }
    },
    [claim, id],
  );
  const reset = useCallback(() => setState({ busy: false, error: null, message: null }), []);
  return { id, ...state, run, reset };
}

/**
 * The outcome of an action, always in the DOM (empty when there is nothing to say) so screen readers
 * announce what appears in it; empty too once another action took the page's message.
 */
export function ActionStatus(props: { action: ActionState; testId: string }) {
  const { action, testId } = props;
  const notices = useNotices();
  const current = notices.current === action.id;
  const error = current ? action.error : null;
  const message = isCurrent(notices, action.id, action.message) ? action.message : null;
  return (
    <div aria-live="polite" data-testid={testId} className="tg-action-status">
      {error ? (
        <p className="tg-inline-error" role="alert" data-testid={`${testId}-error`}>
          {error}
        </p>
      ) : message ? (
        <p className="tg-inline-ok" data-testid={`${testId}-message`}>
          {message.text}
        </p>
      ) : null}
    </div>
  );
}
