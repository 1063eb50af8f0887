/**
 * One current message on the page. Every action (and the return from Checkout) claims the page's
 * message when it starts, so a new action replaces what the previous one said; and a message that no
 * longer matches the subscription (a cancellation since resumed, a plan since changed) is not shown.
 */
import { createContext, useContext } from 'react';
import type { Subscription } from './billing-api';

/** What an action says when it succeeded, and while it is still true of the subscription. */
export interface Notice {
  text: string;
  holds?: (subscription: Subscription) => boolean;
}

export interface Notices {
  /** The id of the action whose message is current, or null. */
  current: string | null;
  claim: (id: string) => void;
  subscription: Subscription | undefined;
}

export const NoticeContext = createContext<Notices>({
  current: null,
  claim: () => {},
  subscription: undefined,
});

export function useNotices(): Notices {
  return useContext(NoticeContext);
}

/** Whether the message of action `id` is the page's current one and still true. */
export function isCurrent(notices: Notices, id: string, notice: Notice | null): boolean {
  if (notices.current !== id || notice === null) return false;
  return (
    notice.holds === undefined || notices.subscription === undefined || notice.holds(notices.subscription)
  );
}
