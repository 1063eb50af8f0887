/**
 * What the page shows without a usable session: the link was used already, has expired, or the
 * session behind it ended. The way out is always the app: only it can make a new link.
 */
import { appName, PageHeader } from './page-header';

export function ExpiredPage(props: {
  returnUrl: string | null;
  embed: boolean;
  reason: string;
  retryable: boolean;
  noLink: boolean;
  checkoutPaid: boolean;
}) {
  const { returnUrl, embed, reason, retryable, noLink, checkoutPaid } = props;
  return (
    <>
      <PageHeader returnUrl={null} embed={embed} title="Billing" />
      <main className="tg-page tg-stack" id="main">
        <section className="tg-card tg-stack" data-testid="expired" aria-labelledby="expired-heading">
          <h2 id="expired-heading">
            {checkoutPaid
              ? 'Payment received'
              : retryable
                ? 'The billing page could not open'
                : noLink
                  ? 'Open billing from your account'
                  : 'This billing link has expired or was already used'}
          </h2>
          <p data-testid="expired-reason">{reason}</p>
          {retryable ? (
            <p>
              <button type="button" className="tg-button" onClick={() => window.location.reload()}>
                Try again
              </button>
            </p>
          ) : null}
          <p>
            {checkoutPaid ? 'To see your plan and invoices, open Billing' : 'Open Billing again'} from{' '}
            {returnUrl !== null ? (
              <a href={returnUrl} data-testid="expired-return-link" target={embed ? '_top' : undefined}>
                {appName(returnUrl)}
              </a>
            ) : (
              'the app you came from'
            )}{' '}
            to get a new link.
          </p>
        </section>
      </main>
    </>
  );
}
