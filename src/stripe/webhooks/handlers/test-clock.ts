/**
 * test_helpers.test_clock.ready: a test clock finished advancing. The clock follower (STRIPE_TEST_CLOCK)
 * moves Tollgate's time to its `frozen_time`, so grace periods, quota periods and trials move with it.
 */
import type Stripe from 'stripe';
import type { HandlerContext, HandlerResult, WebhookHandler } from '../webhook-context.js';

export const testClockHandler: WebhookHandler = {
  types: ['test_helpers.test_clock.ready'],

  async handle(context: HandlerContext): Promise<HandlerResult> {
    if (!context.deps.onTestClockReady) return 'ignored';
    context.deps.onTestClockReady(context.event.data.object as Stripe.TestHelpers.TestClock);
    return 'applied';
  },
};
