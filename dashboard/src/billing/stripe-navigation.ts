/**
 * Going to Stripe's hosted pages (Checkout, Portal) and coming back. On its own the page leaves for
 * Stripe and Stripe returns to it (this tab keeps the session). Embedded in an app's iframe it cannot
 * do that: Stripe refuses to be framed, and a page opened at the top level would not find the
 * iframe's session (storage is partitioned per embedding site). So embedded, Stripe opens in the top
 * window and returns to the app (the link's `return_url`), which opens a fresh billing link.
 */
import type { BillingSession } from './session';

export function billingPageUrl(query = ''): string {
  return `${window.location.origin}/billing${query}`;
}

const embedded = (session: BillingSession): boolean => session.embed && window.top !== window.self;

/** Where Stripe sends the customer back; `outcome` marks how Checkout ended (e.g. checkout=success). */
export function stripeReturnUrl(session: BillingSession, outcome?: string): string {
  if (embedded(session) && session.returnUrl !== null) {
    if (outcome === undefined) return session.returnUrl;
    const back = new URL(session.returnUrl);
    const [name = 'checkout', value = ''] = outcome.split('=');
    back.searchParams.set(`tollgate_${name}`, value);
    return back.toString();
  }
  return billingPageUrl(outcome === undefined ? '' : `?${outcome}`);
}

/** Leaves for a Stripe page: this window, or the top window when embedded. */
export function goToStripe(session: BillingSession, url: string): void {
  if (embedded(session)) {
    try {
      window.top!.location.href = url;
      return;
    } catch {
      // A sandboxed frame without top navigation: a new tab is the remaining way.
      window.open(url, '_blank', 'noopener');
      return;
    }
  }
  window.location.assign(url);
}
