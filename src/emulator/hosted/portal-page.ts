/**
 * The hosted Billing Portal page (`session.url`): the customer's subscriptions with switch-plan and
 * cancel/renew actions, the default card with a replace form, invoice history, and a link back to
 * `return_url`. Actions go through the same code as the API, so they emit the same events.
 */

import { cancelSubscriptionNow } from '../billing/lifecycle.js';
import { itemsOf } from '../billing/subscription-model.js';
import type { Engine } from '../engine.js';
import { StripeApiError } from '../errors.js';
import { Params } from '../params.js';
import { attachPaymentMethod, resolvePaymentMethod } from '../payments.js';
import { defaultConfiguration } from '../resources/billing-portal.js';
import { updateCustomer } from '../resources/customers.js';
import { updateSubscription } from '../resources/subscriptions.js';
import type { PageHandler, PageRequest, PageResponse, Router } from '../router.js';
import type { PortalConfiguration, PortalSession, Price, Subscription } from '../types.js';
import { cardPicker, escapeHtml, formatDate, formatMoney, notFound, page, redirect } from './html.js';

export function registerPortalPage(pages: Router<PageHandler>): void {
  pages
    .add('GET', '/p/session/:id', (engine, request) => {
      const session = engine.get('billing_portal.session', request.pathParams.id!);
      if (session === undefined) return notFound('This portal session does not exist.');
      return renderPortal(
        engine,
        session,
        request.query.get('notice') ?? undefined,
        request.query.get('error') ?? undefined,
      );
    })
    .add('POST', '/p/session/:id/:action', (engine, request) => act(engine, request));
}

function act(engine: Engine, request: PageRequest): PageResponse {
  const session = engine.get('billing_portal.session', request.pathParams.id!);
  if (session === undefined) return notFound('This portal session does not exist.');
  const back = (query: string) => redirect(`/p/session/${session.id}?${query}`);
  const configuration = configurationOf(engine, session);
  const { form } = request;
  try {
    switch (request.pathParams.action) {
      case 'cancel': {
        const subscription = ownSubscription(engine, session, form.requiredString('subscription'));
        if (configuration.features.subscription_cancel.mode === 'immediately') {
          cancelSubscriptionNow(engine, subscription, 'cancellation_requested');
        } else {
          updateSubscription(engine, subscription.id, new Params({ cancel_at_period_end: 'true' }));
        }
        return back('notice=Subscription+canceled');
      }
      case 'renew': {
        const subscription = ownSubscription(engine, session, form.requiredString('subscription'));
        updateSubscription(engine, subscription.id, new Params({ cancel_at_period_end: 'false' }));
        return back('notice=Subscription+renewed');
      }
      case 'switch': {
        const subscription = ownSubscription(engine, session, form.requiredString('subscription'));
        const item = itemsOf(engine, subscription.id)[0];
        if (item === undefined) return back('error=No+item+to+switch');
        updateSubscription(
          engine,
          subscription.id,
          new Params({
            items: [{ id: item.id, price: form.requiredString('price') }],
            proration_behavior: configuration.features.subscription_update.proration_behavior,
          }),
        );
        return back('notice=Plan+updated');
      }
      case 'card': {
        const paymentMethod = resolvePaymentMethod(engine, form.requiredString('card'));
        attachPaymentMethod(engine, paymentMethod, session.customer);
        updateCustomer(
          engine,
          session.customer,
          new Params({ invoice_settings: { default_payment_method: paymentMethod.id } }),
        );
        return back('notice=Payment+method+updated');
      }
      default:
        return notFound(`Unknown portal action ${request.pathParams.action}`);
    }
  } catch (error) {
    if (error instanceof StripeApiError) return back(`error=${encodeURIComponent(error.body.message)}`);
    throw error;
  }
}

function configurationOf(engine: Engine, session: PortalSession): PortalConfiguration {
  const id = typeof session.configuration === 'string' ? session.configuration : session.configuration.id;
  return engine.get('billing_portal.configuration', id) ?? defaultConfiguration(engine);
}

function ownSubscription(engine: Engine, session: PortalSession, id: string): Subscription {
  const subscription = engine.require('subscription', id, 'subscription');
  if (subscription.customer !== session.customer)
    throw new StripeApiError(403, { type: 'invalid_request_error', message: 'Not your subscription.' });
  return subscription;
}

/** Prices the customer may switch to: the configuration's list, or every active recurring price. */
function switchablePrices(engine: Engine, configuration: PortalConfiguration): Price[] {
  const products = configuration.features.subscription_update.products;
  const active = engine.store
    .all('price')
    .filter((price) => price.active && price.recurring !== null && price.recurring.usage_type === 'licensed');
  if (!products || products.length === 0) return active;
  const allowed = new Set(products.flatMap((product) => product.prices));
  return active.filter((price) => allowed.has(price.id));
}

function priceLabel(engine: Engine, price: Price): string {
  const productId = typeof price.product === 'string' ? price.product : price.product.id;
  const name = price.nickname ?? engine.get('product', productId)?.name ?? productId;
  return `${name} – ${formatMoney(price.unit_amount ?? 0, price.currency)} / ${price.recurring?.interval ?? 'once'}`;
}

function renderPortal(
  engine: Engine,
  session: PortalSession,
  notice: string | undefined,
  error: string | undefined,
): PageResponse {
  const customer = engine.get('customer', session.customer);
  if (customer === undefined) return notFound('The customer of this session was deleted.');
  const configuration = configurationOf(engine, session);
  const subscriptions = engine.store
    .all('subscription')
    .filter(
      (sub) =>
        sub.customer === customer.id && sub.status !== 'canceled' && sub.status !== 'incomplete_expired',
    );
  const prices = switchablePrices(engine, configuration);
  const subscriptionCards = subscriptions
    .map((subscription) => {
      const items = itemsOf(engine, subscription.id);
      const current = items[0] ? engine.get('price', items[0].price.id) : undefined;
      const periodEnd = items[0]?.current_period_end;
      const options = prices
        .map(
          (price) =>
            `<option value="${price.id}"${price.id === current?.id ? ' selected' : ''}>${escapeHtml(priceLabel(engine, price))}</option>`,
        )
        .join('');
      const cancelForm = subscription.cancel_at_period_end
        ? `<p data-testid="cancel-notice">Cancels on ${formatDate(subscription.cancel_at)}.</p>
           <form method="post" action="/p/session/${session.id}/renew"><input type="hidden" name="subscription" value="${subscription.id}"><button type="submit" data-testid="renew">Renew subscription</button></form>`
        : configuration.features.subscription_cancel.enabled
          ? `<form method="post" action="/p/session/${session.id}/cancel"><input type="hidden" name="subscription" value="${subscription.id}"><button type="submit" class="secondary" data-testid="cancel-subscription">Cancel subscription</button></form>`
          : '';
      const switchForm = configuration.features.subscription_update.enabled
        ? `<form method="post" action="/p/session/${session.id}/switch"><input type="hidden" name="subscription" value="${subscription.id}">
             <label>Change plan <select name="price" data-testid="price-select">${options}</select></label>
             <button type="submit" data-testid="switch-plan">Update plan</button></form>`
        : '';
      return `<div class="card" data-testid="subscription" data-subscription="${subscription.id}">
  <h3>${escapeHtml(current ? priceLabel(engine, current) : subscription.id)}</h3>
  <p>Status: <strong data-testid="status">${escapeHtml(subscription.status)}</strong>${subscription.status === 'trialing' ? ` (trial ends ${formatDate(subscription.trial_end)})` : ''} · Renews ${formatDate(periodEnd)}</p>
  ${switchForm}${cancelForm}</div>`;
    })
    .join('');
  // Checkout sets the card on the subscription; show that when the customer has no default.
  const defaultPm =
    customer.invoice_settings.default_payment_method ??
    subscriptions.map((sub) => sub.default_payment_method).find((pm) => typeof pm === 'string') ??
    null;
  const card = typeof defaultPm === 'string' ? engine.get('payment_method', defaultPm)?.card : undefined;
  const invoices = engine.store
    .all('invoice')
    .filter((invoice) => invoice.customer === customer.id && invoice.status !== 'draft')
    .reverse()
    .map(
      (invoice) =>
        `<tr><td>${formatDate(invoice.created)}</td><td>${formatMoney(invoice.total, invoice.currency)}</td><td>${escapeHtml(invoice.status)}</td><td><a href="${escapeHtml(invoice.hosted_invoice_url)}">View</a></td></tr>`,
    )
    .join('');
  const body = `
<h1>${escapeHtml(customer.name || customer.email || customer.id)}</h1>
${notice ? `<p class="notice" data-testid="notice">${escapeHtml(notice)}</p>` : ''}
${error ? `<p class="error" data-testid="error">${escapeHtml(error)}</p>` : ''}
<h2>Subscriptions</h2>${subscriptionCards || '<p>No active subscriptions.</p>'}
<h2>Payment method</h2>
<p data-testid="default-card">${card ? `${escapeHtml(card.brand)} •••• ${escapeHtml(card.last4)}` : 'No default card.'}</p>
<form method="post" action="/p/session/${session.id}/card"><fieldset><legend>Replace card</legend>${cardPicker()}</fieldset>
<button type="submit" data-testid="replace-card">Save card</button></form>
<h2>Invoice history</h2><table><tbody>${invoices || '<tr><td>No invoices yet.</td></tr>'}</tbody></table>
${session.return_url ? `<p><a href="${escapeHtml(session.return_url)}" data-testid="return">Return to ${escapeHtml(session.return_url)}</a></p>` : ''}`;
  return page('Billing portal', body);
}
