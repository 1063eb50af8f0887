/**
 * `POST /v1/invoices/create_preview` for a subscription: the invoice an update would make, before it
 * is made. The update (`subscription_details[items]`, `[proration_behavior]`, `[proration_date]`) runs
 * for real inside `engine.dryRun`, through the same `changeItems` as `POST /v1/subscriptions/:id`, and
 * the state is put back afterwards; so the previewed amount is exactly what the update then charges.
 *
 * As on Stripe: with `always_invoice` (or a change of interval, which restarts the cycle) the preview
 * is the invoice the update creates at once; otherwise it is the next renewal invoice, with the
 * pending prorations on it. The preview is a draft whose id starts with `upcoming_`; it is not stored.
 */
import { endTrial, renew } from '../billing/lifecycle.js';
import { periodOf } from '../billing/subscription-model.js';
import type { Engine } from '../engine.js';
import { invalidRequest } from '../errors.js';
import { newId } from '../ids.js';
import type { Params } from '../params.js';
import type { Invoice } from '../types.js';
import { changeItems, prorationDateOf } from './subscription-items.js';

const PRORATION = ['create_prorations', 'none', 'always_invoice'] as const;

const subscriptionOf = (invoice: Invoice) => invoice.parent?.subscription_details?.subscription ?? null;

export function previewInvoice(engine: Engine, params: Params): Invoice {
  const subscriptionId = params.string('subscription');
  if (subscriptionId === undefined)
    throw invalidRequest(
      'The emulator previews the invoices of an existing subscription: pass `subscription`.',
      'subscription',
    );
  const subscription = engine.require('subscription', subscriptionId, 'subscription');
  const customer = params.string('customer');
  if (customer !== undefined && customer !== subscription.customer)
    throw invalidRequest(`The subscription ${subscription.id} does not belong to ${customer}.`, 'customer');
  if (subscription.status === 'canceled' || subscription.status === 'incomplete_expired')
    throw invalidRequest(`The subscription ${subscription.id} has ended.`, 'subscription');

  const details = params.object('subscription_details');
  const items = details?.objects('items') ?? [];
  const behavior = details?.oneOf('proration_behavior', PRORATION) ?? 'create_prorations';
  const { end } = periodOf(engine, subscription);
  const prorationDate = details ? prorationDateOf(engine, subscription, details, behavior) : undefined;
  const now = engine.nowFor(subscription as never);

  return engine.dryRun(() => {
    const before = new Set(engine.store.all('invoice').map((invoice) => invoice.id));
    const made = () =>
      engine.store
        .all('invoice')
        .filter((invoice) => !before.has(invoice.id) && subscriptionOf(invoice) === subscription.id);
    if (items.length > 0) changeItems(engine, subscription, items, behavior, now, false, prorationDate);
    let [invoice] = made();
    if (invoice === undefined) {
      // Nothing is invoiced now: the preview is the next invoice, at the trial's or the period's end
      // (a trial that would pause without a card is shown as if it invoiced).
      if (subscription.status === 'trialing' && subscription.trial_end !== null) {
        subscription.trial_settings = {
          end_behavior: { billing_cycle_anchor: null, missing_payment_method: 'create_invoice' },
        };
        endTrial(engine, subscription, subscription.trial_end, false);
      } else renew(engine, subscription, end);
      [invoice] = made();
      if (invoice !== undefined) invoice.billing_reason = 'upcoming';
    }
    if (invoice === undefined)
      throw invalidRequest(`The subscription ${subscription.id} has no upcoming invoice.`, 'subscription');
    const view = engine.view(invoice);
    const id = newId('upcoming_in', 24);
    return {
      ...view,
      id,
      lines: { ...view.lines, data: view.lines.data.map((line) => ({ ...line, invoice: id })) },
    };
  });
}
