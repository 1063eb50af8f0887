/**
 * One error envelope for every failure: `{ error, message, ...details }`. Known errors keep their
 * code and status; anything else is `internal` with no stack trace in the body.
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import { errorRegistry, TollgateError } from '../core/errors.js';

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | TollgateError, request, reply) => {
    if (error instanceof TollgateError) {
      return reply.code(error.status).send(error.toBody());
    }
    if (
      error.validation ||
      error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ||
      (error.statusCode ?? 500) < 500
    ) {
      const status = error.statusCode && error.statusCode < 500 ? error.statusCode : 400;
      return reply.code(status === 404 ? 404 : 400).send({
        error: status === 404 ? 'not_found' : 'invalid_request',
        message: error.message,
        issues: [{ path: '', message: error.message }],
      });
    }
    request.log.error({ err: error }, 'request failed');
    return reply.code(500).send({ error: 'internal', message: errorRegistry.internal.message });
  });
  app.setNotFoundHandler((_request, reply) =>
    reply.code(404).send({ error: 'not_found', message: errorRegistry.not_found.message }),
  );
}
