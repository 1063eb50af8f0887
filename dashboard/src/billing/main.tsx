/**
 * Entry of the customer billing page (`/billing`). The session is opened before React renders, so the
 * one-time link is exchanged exactly once; the page then shows either the billing or, without a
 * usable session, the page that says how to get a new link.
 */
import { useCallback, useMemo, useState } from 'react';
import { createRoot } from 'react-dom/client';
import '../lib/styles.css';
import './billing.css';
import { BillingApp } from './billing-app';
import { applyDisplay, useResizeReporter } from './embed';
import { ExpiredPage } from './expired-page';
import { openSession, type SessionOutcome, sessionClient } from './session';

function Root(props: { outcome: SessionOutcome }) {
  const [outcome, setOutcome] = useState(props.outcome);
  const session = outcome.kind === 'ready' ? outcome.session : null;
  const client = useMemo(
    () =>
      session
        ? sessionClient(session, () =>
            setOutcome({
              kind: 'ended',
              returnUrl: session.returnUrl,
              embed: session.embed,
              theme: session.theme,
              reason: 'This billing session has expired.',
              retryable: false,
            }),
          )
        : null,
    [session],
  );
  const embed = session ? session.embed : outcome.kind === 'ended' && outcome.embed;
  const root = useCallback(() => document.getElementById('root'), []);
  useResizeReporter(embed, root);

  if (session && client) return <BillingApp session={session} client={client} />;
  if (outcome.kind === 'ended') {
    return (
      <ExpiredPage
        returnUrl={outcome.returnUrl}
        embed={outcome.embed}
        reason={outcome.reason}
        retryable={outcome.retryable}
        noLink={outcome.noLink === true}
        checkoutPaid={outcome.checkoutPaid === true}
      />
    );
  }
  return null;
}

const container = document.getElementById('root')!;
const reactRoot = createRoot(container);
// A placeholder of the header's size while the link is exchanged, so nothing jumps when it is done.
reactRoot.render(
  <main className="tg-page" aria-busy="true">
    <div className="tg-skeleton" style={{ height: 96 }} role="status">
      <span className="tg-visually-hidden">Opening your billing page</span>
    </div>
  </main>,
);

void openSession().then((outcome) => {
  const display = outcome.kind === 'ready' ? outcome.session : outcome;
  applyDisplay(display.theme, display.embed);
  reactRoot.render(<Root outcome={outcome} />);
});
