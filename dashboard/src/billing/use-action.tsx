/**
 * One user action at a time per place on the page (a button, a dialog): busy while it runs, then the
 * result as a sentence in a live region, or the API's own message when it failed (402 payment_failed,
 * 409 conflict, ...), shown next to the control that caused it.
 */
import { useCallback, useState } from 'react';
import { errorText } from '../lib/ui';

export interface ActionState {
  busy: boolean;
  error: string | null;
  message: string | null;
}

export interface Action extends ActionState {
  /** Runs `work`; its answer is the success sentence (or null for none). True when it succeeded. */
  run: (work: () => Promise<string | null>) => Promise<boolean>;
  reset: () => void;
}

const idle: ActionState = { busy: false, error: null, message: null };

export function useAction(): Action {
  const [state, setState] = useState<ActionState>(idle);
  const run = useCallback(async (work: () => Promise<string | null>) => {
    setState({ busy: true, error: null, message: null });
    try {
      const message = await work();
      setState({ busy: false, error: null, message });
      return true;
    } catch (error) {
      setState({
        busy: false,
        error: errorText(error instanceof Error ? error : new Error(String(error))),
        message: null,
      });
      return false;
    }
  }, []);
  const reset = useCallback(() => setState(idle), []);
  return { ...state, run, reset };
}

/**
 * The outcome of an action, always in the DOM (empty when there is nothing to say) so screen readers
 * announce what appears in it.
 */
export function ActionStatus(props: { action: ActionState; testId: string }) {
  const { action, testId } = props;
  return (
    <div aria-live="polite" data-testid={testId} className="tg-action-status">
      {action.error ? (
        <p className="tg-inline-error" role="alert" data-testid={`${testId}-error`}>
          {action.error}
        </p>
      ) : action.message ? (
        <p className="tg-inline-ok" data-testid={`${testId}-message`}>
          {action.message}
        </p>
      ) : null}
    </div>
  );
}
