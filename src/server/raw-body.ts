/**
 * Keeping a request's body as the bytes received, for routes whose body is signed (Stripe webhooks:
 * the signature covers the exact bytes, and JSON parsed and printed again is not them). A route-level
 * `preParsing` hook reads the stream into a Buffer, keeps it per request, and hands Fastify's usual
 * JSON parser a fresh stream of the same bytes, so the rest of the server still parses JSON only.
 */
import { Readable } from 'node:stream';
import type { FastifyRequest, preParsingAsyncHookHandler } from 'fastify';
import { invalidRequest } from '../core/errors.js';

const rawBodies = new WeakMap<FastifyRequest, Buffer>();

/** Stripe's events are far smaller; this only stops a client from making us buffer anything. */
const MAX_RAW_BODY_BYTES = 2 * 1024 * 1024;

export const captureRawBody: preParsingAsyncHookHandler = async (request, _reply, payload) => {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of payload) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    size += buffer.length;
    if (size > MAX_RAW_BODY_BYTES) throw invalidRequest([{ path: '', message: 'the body is too large' }]);
    chunks.push(buffer);
  }
  const body = Buffer.concat(chunks);
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
