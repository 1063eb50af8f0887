/**
 * `tollgate/emulator`: a local, stateful Stripe that the official SDKs talk to unchanged, for an
 * app's own tests and local runs. Invoice PDFs need the optional peer `pdf-lib`.
 *
 * @example
 * ```ts
 * import Stripe from 'stripe';
 * import { startEmulator } from 'tollgate/emulator';
 *
 * const emulator = await startEmulator();
 * const stripe = new Stripe(emulator.secretKey, emulator.stripeConfig());
 * ```
 */
export {
  API_VERSION,
  type DeliveryRecord,
  type Emulator,
  type EmulatorOptions,
  type EmulatorSummary,
  type FaultInput,
  type FaultRule,
  signPayload,
  startEmulator,
  type WebhookRetryOptions,
} from '../emulator/index.js';
