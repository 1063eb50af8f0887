/**
 * The hosted Checkout page (`session.url`): shows the line items and total, lets a person pick a test
 * card, and completes the session exactly as `POST /v1/payment_pages/{id}/confirm` does.
 */

import { formatUsageRate } from '../billing/price-amount.js';
import type { Engine } from '../engine.js';
import { StripeApiError } from '../errors.js';
import { completeSession, lineItemsOf } from '../resources/checkout.js';
import type { PageHandler, Router } from '../router.js';
import type { CheckoutSession } from '../types.js';
import { cardPicker, escapeHtml, formatMoney, notFound, page, redirect } from './html.js';

export function registerCheckoutPage(pages: Router<PageHandler>): void {
  pages
    .add('GET', '/c/pay/:id', (engine, request) => {
      const session = engine.get('checkout.session', request.pathParams.id!);
      if (session === undefined) return notFound('This Checkout Session does not exist.');
      return renderCheckout(engine, session, undefined);
    })
    .add('POST', '/c/pay/:id', (engine, request) => {
      const session = engine.get('checkout.session', request.pathParams.id!);
      if (session === undefined) return notFound('This Checkout Session does not exist.');
      try {
        completeSession(
          engine,
          session,
          request.form.string('card') ?? 'pm_card_visa',
          request.form.string('email') || undefined,
        );
      } catch (error) {
        if (error instanceof StripeApiError) return renderCheckout(engine, session, error.body.message, 402);
        throw error;
      }
      const success = (session.success_url ?? `${engine.settings.publicUrl}/c/done`).replaceAll(
        '{CHECKOUT_SESSION_ID}',
        session.id,
      );
      return redirect(success);
    })
    .add('GET', '/c/done', () => page('Payment complete', '<h1 data-testid="done">Payment complete</h1>'));
}

/**
 * A licensed price shows its amount per interval ("USD 29.00 / month"); a metered one is billed later
 * for what is used, so it shows its rate as Stripe's Checkout does ("Usage-based, USD 0.10 per 1,000
 * units / month") rather than a misleading 0.00.
 */
function lineAmount(item: ReturnType<typeof lineItemsOf>[number]): string {
  const { recurring } = item.price;
  const interval = recurring ? ` / ${recurring.interval}` : '';
  if (recurring?.usage_type !== 'metered')
    return `${formatMoney(item.amount_total, item.currency)}${interval}`;
  return `Usage-based, ${formatUsageRate(item.price)}${interval}`;
}

function renderCheckout(engine: Engine, session: CheckoutSession, error: string | undefined, status = 200) {
  if (session.status !== 'open') {
    return page(
      'Checkout',
      `<h1 data-testid="checkout-closed">This Checkout Session is ${escapeHtml(session.status)}.</h1>`,
      status,
    );
  }
  const items = lineItemsOf(engine, session);
  const rows = items
    .map((item) => {
      const metered = item.price.recurring?.usage_type === 'metered';
      return `<tr data-testid="line-item"><td>${escapeHtml(item.description)}</td><td>${metered ? '' : item.quantity}</td><td>${lineAmount(item)}</td></tr>`;
    })
    .join('');
  const email = session.customer_details?.email ?? session.customer_email ?? '';
  const body = `
<h1>${session.mode === 'subscription' ? 'Subscribe' : session.mode === 'setup' ? 'Save a card' : 'Pay'}</h1>
${error ? `<p class="error" data-testid="error">${escapeHtml(error)}</p>` : ''}
<table><thead><tr><th>Item</th><th>Qty</th><th>Amount</th></tr></thead><tbody>${rows}</tbody></table>
<p><strong>Total: <span data-testid="total">${formatMoney(session.amount_total ?? 0, session.currency ?? 'usd')}</span></strong></p>
<form method="post" action="/c/pay/${escapeHtml(session.id)}">
  <label>Email <input type="email" name="email" value="${escapeHtml(email)}" data-testid="email"></label>
  <fieldset><legend>Test card</legend>${cardPicker()}</fieldset>
  <p><button type="submit" data-testid="submit">${session.mode === 'subscription' ? 'Subscribe' : 'Pay'}</button></p>
</form>
${session.cancel_url ? `<p><a href="${escapeHtml(session.cancel_url)}" data-testid="cancel">Cancel and go back</a></p>` : ''}`;
  return page('Checkout', body, status);
}
