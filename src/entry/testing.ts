/**
 * `tollgate/testing`: helpers for an app's own tests. `openTestTollgate` gives the real engine on
 * SQLite in memory with a manual clock; `startWebhookReceiver` is an endpoint that verifies and
 * records what the Stripe emulator (`tollgate/emulator`) delivers.
 *
 * @example
 * ```ts
 * import { openTestTollgate } from 'tollgate/testing';
 *
 * const { tollgate, clock, newCustomer, close } = await openTestTollgate({ catalog });
 * const { key } = await newCustomer({ plan: 'pro' });
 * ```
 */
export { ManualClock } from '../core/clock.js';
export {
  type ReceivedEvent,
  startWebhookReceiver,
  type WebhookReceiver,
} from '../emulator/testing/webhook-receiver.js';
export {
  openTestTollgate,
  type TestTollgate,
  type TestTollgateOptions,
} from '../testing/open-test-tollgate.js';
