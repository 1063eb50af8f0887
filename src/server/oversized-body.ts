/**
 * A request body over the limit (Fastify's `bodyLimit`, 2 MiB by default): answered 413
 * `payload_too_large` with `Connection: close`, cleanly. Closing a socket while the client is still
 * sending makes the kernel reset it, and the client then sees EPIPE or ECONNRESET instead of the
 * answer; leaving the connection open with half a body unread makes the next request on it (and a
 * graceful shutdown) wait forever. So the rest of the body is read and thrown away first, up to a
 * bound in bytes and in time (a client cannot make us read forever), then the answer is sent and the
 * connection closed. A Content-Length past the bound is answered at once.
 */
import type { IncomingMessage } from 'node:http';
import type { FastifyRequest } from 'fastify';
import { TollgateError } from '../core/errors.js';

/** Most bytes read and discarded after the limit before answering anyway. */
export const DISCARD_BYTES = 8 * 1024 * 1024;
/** Longest a slow client may keep sending the rest before the answer goes out anyway. */
export const DISCARD_MS = 5_000;

export function payloadTooLarge(limitBytes: number): TollgateError {
  return new TollgateError('payload_too_large', `The request body is larger than ${limitBytes} bytes.`, {
    limit_bytes: limitBytes,
  });
}

/** The body limit of the request's route (the server's unless the route sets its own). */
export function bodyLimitOf(request: FastifyRequest): number {
  return request.routeOptions.bodyLimit ?? request.server.initialConfig.bodyLimit ?? 1024 * 1024;
}

/**
 * Reads what is left of a request body and drops it; resolves when it ended, or when `maxBytes` more
 * arrived or `maxMs` passed (the connection is closed after the answer either way).
 */
export function discardBody(
  raw: IncomingMessage,
  maxBytes = DISCARD_BYTES,
  maxMs = DISCARD_MS,
): Promise<void> {
  const declared = Number(raw.headers['content-length']);
  if (raw.readableEnded || raw.destroyed || (Number.isFinite(declared) && declared > maxBytes))
    return Promise.resolve();
  return new Promise((resolve) => {
    let read = 0;
    const done = () => {
      clearTimeout(timer);
      raw.removeListener('data', onData);
      raw.removeListener('end', done);
      raw.removeListener('close', done);
      raw.removeListener('error', done);
      resolve();
    };
    const onData = (chunk: Buffer) => {
      read += chunk.length;
      if (read > maxBytes) done();
    };
    const timer = setTimeout(done, maxMs);
    raw.on('data', onData);
    raw.once('end', done);
    raw.once('close', done);
    raw.once('error', done);
    raw.resume();
  });
}
