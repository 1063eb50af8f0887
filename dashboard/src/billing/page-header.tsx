/**
 * The page's banner landmark: its one h1, whose billing it is (the account's name and email, from the
 * subscription answer) and, outside embedded mode, the way back to the app that opened it (named after
 * the app's host, the only name the page knows). The account line keeps its height while it loads.
 */

export function appName(returnUrl: string | null): string {
  if (returnUrl === null) return 'the app';
  try {
    return new URL(returnUrl).host;
  } catch {
    return 'the app';
  }
}

export interface Account {
  name: string | null;
  email: string | null;
}

export function PageHeader(props: {
  returnUrl: string | null;
  embed: boolean;
  title?: string;
  /** The account, once known; undefined for pages that show none (no session). */
  account?: Account | null;
}) {
  const { returnUrl, embed, account } = props;
  return (
    <header className="tg-billing-header">
      <div className="tg-billing-header-inner tg-spread">
        <div className="tg-billing-title">
          <h1>{props.title ?? 'Billing'}</h1>
          {account !== undefined ? (
            <p className="tg-account tg-small tg-muted" data-testid="account">
              {account?.name ? (
                <span className="tg-account-name" data-testid="account-name">
                  {account.name}
                </span>
              ) : null}
              {account?.name && account.email ? <span aria-hidden="true"> · </span> : null}
              {account?.email ? <span data-testid="account-email">{account.email}</span> : null}
            </p>
          ) : null}
        </div>
        {returnUrl !== null && !embed ? (
          <a href={returnUrl} className="tg-back-link" data-testid="back-link">
            <span aria-hidden="true" className="tg-back-arrow">
              ←
            </span>
            Back to {appName(returnUrl)}
          </a>
        ) : null}
      </div>
    </header>
  );
}
