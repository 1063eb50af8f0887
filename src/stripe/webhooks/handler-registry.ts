/**
 * Every webhook handler, by event type. Adding one is adding a file under `handlers/` and a line here;
 * a type no handler names is recorded and answered 200 (Stripe sends what the endpoint subscribed to).
 */
import { checkoutHandler } from './handlers/checkout.js';
import { customerHandler } from './handlers/customer.js';
import { invoiceHandler } from './handlers/invoice.js';
import { paymentMethodHandler } from './handlers/payment-method.js';
import { subscriptionHandler } from './handlers/subscription.js';
import { testClockHandler } from './handlers/test-clock.js';
import type { WebhookHandler } from './webhook-context.js';

export const defaultHandlers: readonly WebhookHandler[] = [
  checkoutHandler,
  customerHandler,
  subscriptionHandler,
  invoiceHandler,
  paymentMethodHandler,
  testClockHandler,
];

/** Event type -> handler; a type named twice is a programming error, caught at start-up. */
export function handlerRegistry(
  handlers: readonly WebhookHandler[] = defaultHandlers,
): Map<string, WebhookHandler> {
  const byType = new Map<string, WebhookHandler>();
  for (const handler of handlers) {
    for (const type of handler.types) {
      if (byType.has(type)) throw new Error(`two webhook handlers for '${type}'`);
      byType.set(type, handler);
    }
  }
  return byType;
}

/** The event types Tollgate handles (to subscribe a webhook endpoint to exactly these). */
export const handledEventTypes = (): string[] => [...handlerRegistry().keys()];
