/**
 * Keeping a request's body as the bytes received, for routes whose body is signed (Stripe webhooks:
 * the signature covers the exact bytes, and JSON parsed and printed again is not them). A route-level
 * `preParsing` hook reads the stream into a Buffer, keeps it per request, and hands Fastify's usual
 * JSON parser a fresh stream of the same bytes, so the rest of the server still parses JSON only.
 *
 * The route's body limit holds here too: a Content-Length over it is refused before reading, and a
 * body that grows past it stops being buffered. Either way the error handler answers 413 after
 * discarding the rest (`oversized-body.ts`), so the connection never waits on an unread body.
 */
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import type { FastifyRequest, preParsingAsyncHookHandler } from 'fastify';
import { bodyLimitOf, payloadTooLarge } from './oversized-body.js';

const rawBodies = new WeakMap<FastifyRequest, Buffer>();

/** Reads a body of at most `limit` bytes; rejects with 413 as soon as it is known to be larger. */
function readAtMost(payload: IncomingMessage, limit: number): Promise<Buffer> {
  if (Number(payload.headers['content-length']) > limit) return Promise.reject(payloadTooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = () => {
      payload.removeListener('data', onData);
      payload.removeListener('end', onEnd);
      payload.removeListener('error', onError);
    };
    const onData = (chunk: Buffer | string) => {
      const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
      size += buffer.length;
      if (size > limit) {
        // Left flowing with no reader: the error handler drains the rest before answering.
        stop();
        reject(payloadTooLarge(limit));
        return;
      }
      chunks.push(buffer);
    };
    const onEnd = () => {
      stop();
      resolve(Buffer.concat(chunks));
    };
    const onError = (error: Error) => {
      stop();
      reject(error);
    };
    payload.on('data', onData);
    payload.once('end', onEnd);
    payload.once('error', onError);
  });
}

export const captureRawBody: preParsingAsyncHookHandler = async (request, _reply, payload) => {
  const body = await readAtMost(payload as IncomingMessage, bodyLimitOf(request));
  rawBodies.set(request, body);
  const copy = Readable.from([body]) as Readable & { receivedEncodedLength?: number };
  // Fastify compares this with Content-Length to detect a truncated body.
  copy.receivedEncodedLength = body.length;
  return copy;
};

/** The bytes `captureRawBody` kept for this request, or null on a route without it. */
export function rawBodyOf(request: FastifyRequest): Buffer | null {
  return rawBodies.get(request) ?? null;
}
