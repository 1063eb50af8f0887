/**
 * The page's banner landmark: its one h1 and, outside embedded mode, the way back to the app that
 * opened it (named after the app's host, the only name the page knows).
 */

export function appName(returnUrl: string | null): string {
  if (returnUrl === null) return 'the app';
  try {
    return new URL(returnUrl).host;
  } catch {
    return 'the app';
  }
}

export function PageHeader(props: { returnUrl: string | null; embed: boolean; title?: string }) {
  const { returnUrl, embed } = props;
  return (
    <header className="tg-billing-header">
      <div className="tg-billing-header-inner tg-spread">
        <h1>{props.title ?? 'Billing'}</h1>
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
