/**
 * One error envelope for every failure: `{ error, message, ...details }`. Known errors keep their
 * code and status. What Fastify refuses before a route runs (malformed JSON, an empty JSON body, a
 * content type other than JSON, a malformed URL) is `invalid_request` with status 400 and one issue,
 * so the code's status always matches the registry; a body over the size limit is 413
 * `payload_too_large`, answered after the rest of the body is discarded, on a closing connection
 * (`oversized-body.ts`). A database out of reach (a terminated backend, a lost connection) is 503
 * `store_unavailable` with `Retry-After: 1`. Anything else is `internal`, logged, with no stack
 * trace in the body.
 */
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { type ErrorIssue, errorRegistry, invalidRequest, TollgateError } from '../core/errors.js';
import { isStoreUnavailable } from '../store/errors.js';
import { bodyLimitOf, discardBody, payloadTooLarge } from './oversized-body.js';

/** Fastify's request errors, by code, as the issue a client can act on. */
const requestErrors: Record<string, ErrorIssue> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { path: '', message: 'the body is not valid JSON' },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    path: '',
    message: 'the body is empty but Content-Type says JSON; send {} or no Content-Type',
  },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    path: 'content-type',
    message: 'expected Content-Type: application/json',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { path: 'content-length', message: 'does not match the body' },
  FST_ERR_BAD_URL: { path: 'url', message: 'the URL is malformed' },
};

function requestError(error: FastifyError): TollgateError | undefined {
  // A library's own error with an HTTP status (Stripe's SDK sets `statusCode` on a 404 it got) is a
  // fault of ours, not a request the client sent badly.
  if (typeof (error as { type?: unknown }).type === 'string') return undefined;
  const issue = requestErrors[error.code];
  if (issue) return invalidRequest([issue]);
  // Any other error Fastify raises for a bad request (a 4xx it sets itself) is the client's too.
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
    return invalidRequest([{ path: '', message: 'the request could not be read' }]);
  }
  return undefined;
}

export function sendError(reply: FastifyReply, error: TollgateError): FastifyReply {
  return reply.code(error.status).send(error.toBody());
}

const tooLarge = (error: FastifyError | TollgateError) =>
  error.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || error.code === 'payload_too_large';

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | TollgateError, request, reply) => {
    if (tooLarge(error)) {
      // Read the rest first, so the client gets this answer rather than a reset; then close.
      return discardBody(request.raw).then(() =>
        sendError(reply.header('connection', 'close'), payloadTooLarge(bodyLimitOf(request))),
      );
    }
    if (error instanceof TollgateError) {
      if (error.cause !== undefined)
        request.log.warn({ err: error.cause, code: error.code }, `request refused: ${error.message}`);
      return sendError(reply, error);
    }
    if (isStoreUnavailable(error)) {
      // The database is out of reach: retryable, and nothing was acknowledged. Logged as a warning.
      request.log.warn({ err: error }, 'store unavailable');
      return sendError(reply.header('retry-after', '1'), new TollgateError('store_unavailable'));
    }
    const known = requestError(error);
    if (known) return sendError(reply, known);
    request.log.error({ err: error }, 'request failed');
    return reply.code(500).send({ error: 'internal', message: errorRegistry.internal.message });
  });
  app.setNotFoundHandler((_request, reply) =>
    reply.code(404).send({ error: 'not_found', message: errorRegistry.not_found.message }),
  );
}

/** For Fastify's `frameworkErrors` option: a malformed URL answers the envelope, not Fastify's own. */
export function frameworkErrorHandler(error: FastifyError, _request: unknown, reply: FastifyReply): void {
  void sendError(
    reply,
    requestError(error) ?? invalidRequest([{ path: 'url', message: 'the URL is malformed' }]),
  );
}
