/**
 * Every error Tollgate answers with, in one registry: code -> HTTP status and default message.
 * `docs/errors.md` documents exactly these codes (a test keeps the two equal). Expected outcomes of
 * the gate (a denied request) are values, not exceptions; this class is for requests that cannot be
 * served at all (bad input, unknown customer, conflicts, faults).
 */

export const errorRegistry = {
  invalid_request: { status: 400, message: 'The request is not valid.' },
  unauthorized: { status: 401, message: 'A valid API key is required.' },
  account_suspended: { status: 403, message: 'This account is suspended because a payment failed.' },
  feature_not_available: { status: 403, message: 'Your plan does not include this feature.' },
  forbidden: { status: 403, message: 'This key may not do that.' },
  not_found: { status: 404, message: 'No such resource.' },
  conflict: { status: 409, message: 'The request conflicts with the current state.' },
  payload_too_large: { status: 413, message: 'The request body is too large.' },
  payment_failed: { status: 402, message: 'The payment was declined.' },
  quota_exceeded: { status: 429, message: 'The credit quota for this billing period is used up.' },
  rate_limited: { status: 429, message: 'Too many requests; slow down.' },
  concurrency_limited: { status: 429, message: 'Too many requests at once for this plan.' },
  storage_limit_exceeded: { status: 507, message: 'The storage limit of this plan is reached.' },
  payment_provider_unavailable: { status: 503, message: 'The payment provider is unavailable; try again.' },
  store_unavailable: { status: 503, message: 'The database is unavailable; try again.' },
  limits_unavailable: { status: 503, message: 'Rate limits cannot be checked right now; try again.' },
  internal: { status: 500, message: 'Something went wrong on our side.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof errorRegistry;

export interface ErrorIssue {
  path: string;
  message: string;
}

export class TollgateError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: Record<string, unknown>;

  /**
   * @param options.cause the fault behind an expected error (a provider's refusal, say): never in the
   *   body, but the service logs it so an operator sees what happened.
   */
  constructor(
    code: ErrorCode,
    message?: string,
    details: Record<string, unknown> = {},
    options: { cause?: unknown } = {},
  ) {
    super(
      message ?? errorRegistry[code].message,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = 'TollgateError';
    this.code = code;
    this.status = errorRegistry[code].status;
    this.details = details;
  }

  /** The documented error body: `{ error, message, ...details }`. */
  toBody(): Record<string, unknown> {
    return { error: this.code, message: this.message, ...this.details };
  }
}

export function invalidRequest(issues: ErrorIssue[]): TollgateError {
  const summary = issues.map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message));
  return new TollgateError('invalid_request', summary.join('; '), { issues });
}
