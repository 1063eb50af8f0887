/**
 * Setting, listing and removing a customer's negotiated prices (docs/decisions/013-custom-prices.md).
 * Setting one runs in phases: validate against the catalog; reuse what exists (the active price when
 * the amount is the same: nothing is written; a price the customer had before at that amount: its
 * Stripe price again); otherwise create the Stripe price on the plan's product with a deterministic
 * idempotency key (customer, plan, interval, currency, amount); then store it and its audit entry in
 * one transaction. Stripe failing (503) leaves nothing written. Removing touches Stripe not at all: the
 * price stays for the subscriptions already on it, and future ones get the catalog's again.
 */
import {
  type CustomerPrice,
  customerPriceFor,
  customerPriceIssues,
  customerPriceKey,
} from '../../core/billing/custom-prices.js';
import type { PaymentGateway } from '../../core/billing/payment-gateway.js';
import { type PriceIndex, priceFor } from '../../core/billing/subscription-state.js';
import { invalidRequest, TollgateError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import type { BillingInterval } from '../../core/ports.js';
import type { Tollgate } from '../../core/tollgate.js';

export interface CustomerPrices {
  /** The customer's active negotiated prices (`includeRemoved`: the history too), oldest first. */
  list(customerId: string, options?: { includeRemoved?: boolean }): Promise<CustomerPrice[]>;
  /**
   * Sets the customer's price for a plan and interval. `changed` is false when it already was that
   * amount (nothing written, nothing created at Stripe).
   */
  set(
    customerId: string,
    input: { planId: string; interval: BillingInterval; amount: number; reason?: string | null },
    actor: string,
  ): Promise<{ price: CustomerPrice; replaced: CustomerPrice | null; changed: boolean }>;
  /** Removes the active price of a plan and interval (404 when there is none); returns it as removed. */
  remove(
    customerId: string,
    planId: string,
    interval: BillingInterval,
    actor: string,
  ): Promise<CustomerPrice>;
}

export interface CustomerPricesOptions {
  tollgate: Tollgate;
  gateway: PaymentGateway;
  /** The catalog's price index (the negotiated price goes on the product of the plan's price). */
  prices: () => PriceIndex | Promise<PriceIndex>;
  /** Runs a change in the customer's billing queue, so it never interleaves with one of its flows. */
  serialized: <T>(customerId: string, change: () => Promise<T>) => Promise<T>;
}

const view = (price: CustomerPrice | null) =>
  price === null
    ? null
    : { amount: price.amount, currency: price.currency, stripePriceId: price.stripePriceId, id: price.id };

export function createCustomerPrices(options: CustomerPricesOptions): CustomerPrices {
  const { tollgate, gateway } = options;
  const store = tollgate.store;

  async function requireCustomer(customerId: string) {
    const customer = await store.getCustomer(customerId);
    if (!customer) throw new TollgateError('not_found', `No customer '${customerId}'.`);
    return customer;
  }

  return {
    async list(customerId, listOptions = {}) {
      await requireCustomer(customerId);
      return store.listCustomerPrices({ customerId, includeRemoved: listOptions.includeRemoved ?? false });
    },

    set: (customerId, input, actor) =>
      options.serialized(customerId, async () => {
        const { catalog } = tollgate;
        const issues = customerPriceIssues(catalog, input);
        if (issues.length > 0) throw invalidRequest(issues);
        await requireCustomer(customerId);
        const catalogPriceId = priceFor(await options.prices(), input.planId, input.interval);
        if (catalogPriceId === undefined)
          throw invalidRequest([
            {
              path: 'plan',
              message: `plan '${input.planId}' has no Stripe product yet for the ${input.interval}ly interval: run \`tollgate plans push\` first`,
            },
          ]);
        const history = await store.listCustomerPrices({ customerId, includeRemoved: true });
        const active = customerPriceFor(history, input.planId, input.interval) ?? null;
        const currency = catalog.currency;
        if (active !== null && active.amount === input.amount && active.currency === currency)
          return { price: active, replaced: null, changed: false };
        // A price the customer had before at this amount is its Stripe price again: one per amount.
        const earlier = history.find(
          (price) =>
            price.planId === input.planId &&
            price.interval === input.interval &&
            price.amount === input.amount &&
            price.currency === currency,
        );
        const stripePriceId =
          earlier?.stripePriceId ??
          (await gateway.createCustomerPrice({
            customerId,
            planId: input.planId,
            interval: input.interval,
            amount: input.amount,
            currency,
            productId: (await store.getStripeCatalogIds())[input.planId]?.product ?? null,
            catalogPriceId,
            idempotencyKey: customerPriceKey(customerId, input, currency),
          }));
        const now = tollgate.clock.now();
        const price: CustomerPrice = {
          id: newId('cpr', now),
          customerId,
          planId: input.planId,
          interval: input.interval,
          amount: input.amount,
          currency,
          stripePriceId,
          reason: input.reason ?? null,
          createdBy: actor,
          createdAt: now,
          removedBy: null,
          removedAt: null,
        };
        await store.saveCustomerPrice(price, active?.id ?? null, {
          at: now,
          actor,
          action: 'customer.price_set',
          customerId,
          details: {
            plan: input.planId,
            interval: input.interval,
            before: view(active),
            after: view(price),
            ...(price.reason === null ? {} : { reason: price.reason }),
          },
        });
        return {
          price,
          replaced: active === null ? null : { ...active, removedAt: now, removedBy: actor },
          changed: true,
        };
      }),

    remove: (customerId, planId, interval, actor) =>
      options.serialized(customerId, async () => {
        await requireCustomer(customerId);
        const active = customerPriceFor(await store.listCustomerPrices({ customerId }), planId, interval);
        if (!active)
          throw new TollgateError(
            'not_found',
            `Customer '${customerId}' has no price of its own for ${planId} (${interval}ly).`,
          );
        const now = tollgate.clock.now();
        const removed = await store.removeCustomerPrice(active.id, now, actor, {
          at: now,
          actor,
          action: 'customer.price_removed',
          customerId,
          details: { plan: planId, interval, before: view(active), after: null },
        });
        if (!removed)
          throw new TollgateError(
            'conflict',
            "The customer's price was changed meanwhile; read it again and retry.",
          );
        return { ...active, removedAt: now, removedBy: actor };
      }),
  };
}
