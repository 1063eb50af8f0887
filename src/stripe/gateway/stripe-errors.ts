/**
 * Stripe's failures as the registry's errors. The SDK has already retried what can be retried (429,
 * 5xx, network errors; `maxNetworkRetries` in `createStripeClient`), so what reaches here is final:
 * - a declined card -> `payment_failed` (402) with Stripe's `decline_code`;
 * - Stripe unreachable, failing or throttling after the retries -> `payment_provider_unavailable` (503);
 * - a key reused with other parameters -> `conflict` (409);
 * - a parameter the client gave that Stripe refuses (an unknown payment method) -> `invalid_request`
 *   naming the client's field, when the call says which field it came from;
 * - a Stripe customer that Stripe no longer knows (its test data was reset, the customer was deleted
 *   in the Dashboard) -> `conflict` (409) saying so and how to repair it (`tollgate reconcile`), with
 *   the Stripe error as its `cause` so the service logs it.
 * Anything else is a fault on our side and is rethrown as is (logged, answered as `internal`).
 */
import { invalidRequest, TollgateError } from '../../core/errors.js';

interface StripeLikeError {
  type?: string;
  statusCode?: number;
  code?: string;
  decline_code?: string;
  requestId?: string;
  message: string;
  param?: string;
}

function isStripeError(error: unknown): error is StripeLikeError {
  return (
    error instanceof Error &&
    typeof (error as unknown as { type?: unknown }).type === 'string' &&
    String((error as unknown as { type: string }).type).startsWith('Stripe')
  );
}

export function stripeFailure(error: unknown, clientField?: string): unknown {
  if (!isStripeError(error)) return error;
  const requestId = error.requestId ? { stripe_request_id: error.requestId } : {};
  switch (error.type) {
    case 'StripeCardError':
      return new TollgateError('payment_failed', error.message, {
        decline_code: error.decline_code ?? error.code ?? 'card_declined',
        ...requestId,
      });
    case 'StripeConnectionError':
    case 'StripeAPIError':
    case 'StripeRateLimitError':
      return new TollgateError('payment_provider_unavailable', undefined, requestId);
    case 'StripeIdempotencyError':
      return new TollgateError(
        'conflict',
        'This Idempotency-Key was already used for a different billing request.',
      );
    case 'StripeInvalidRequestError':
      if (error.code === 'resource_missing' && /^No such customer/i.test(error.message))
        return new TollgateError(
          'conflict',
          "Stripe no longer knows this customer's billing account, so billing cannot proceed. An operator can repair it with `tollgate reconcile`, after which the customer starts again from the free plan.",
          requestId,
          { cause: error },
        );
      if (clientField !== undefined) return invalidRequest([{ path: clientField, message: error.message }]);
      return error;
    default:
      if ((error.statusCode ?? 0) >= 500) return new TollgateError('payment_provider_unavailable');
      return error;
  }
}

/** Runs one Stripe call and turns its failure into the registry's error. */
export async function callStripe<T>(call: () => Promise<T>, clientField?: string): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw stripeFailure(error, clientField);
  }
}
