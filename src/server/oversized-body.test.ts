/**
 * A body over the limit, over a real socket: the client that sends all of it gets the 413 answer (not
 * EPIPE or a reset), the connection is closed after it (never left waiting for more of a body nobody
 * reads), and the server closes at once afterwards. Checked on the signed webhook route (which keeps
 * the raw bytes) and on an ordinary JSON route, with a Content-Length and chunked.
 */

import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testCatalog } from '../../test/support/test-catalog.js';
import { ManualClock } from '../core/clock.js';
import { createTollgate, type Tollgate } from '../core/tollgate.js';
import { createMemoryCounters } from '../counters/memory-counters.js';
import { createSqliteStore } from '../store/sqlite-store.js';
import type { WebhookInbox } from '../stripe/webhooks/webhook-inbox.js';
import { createServer } from './create-server.js';

const LIMIT = 2 * 1024 * 1024;
const OVERSIZED = Math.floor(2.3 * 1024 * 1024);

/** Bytes of the last body the inbox was handed. */
let handed = 0;
/** An inbox that accepts anything: these tests are about the bytes before it. */
const acceptingInbox: WebhookInbox = {
  receive: async (raw) => {
    handed = raw.length;
    return { status: 200, body: { received: true } };
  },
  replay: async () => undefined,
  idle: async () => {},
};

interface Exchange {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The client's write failed (EPIPE / ECONNRESET) before the whole body was sent. */
  writeError: string | null;
  /** What became of a second request sent on the same connection after the answer. */
  next: 'closed' | 'answered' | 'hung';
}

/**
 * Sends one request with a `size`-byte JSON body over a fresh connection, reads the answer, then
 * sends `GET /health` on the same connection and waits (2 s at most) for it to be answered or closed.
 */
function exchange(port: number, path: string, size: number, options: { chunked: boolean; key?: string }) {
  return new Promise<Exchange>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = Buffer.alloc(0);
    let writeError: string | null = null;
    let first: Omit<Exchange, 'next' | 'writeError'> | undefined;
    let timer: NodeJS.Timeout | undefined;
    const finish = (next: Exchange['next']) => {
      if (!first) return reject(new Error(`no answer (${writeError ?? 'connection closed'})`));
      clearTimeout(timer);
      socket.destroy();
      resolve({ ...first, writeError, next });
    };
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (!first) writeError = error.code ?? error.message;
    });
    socket.on('close', () => finish(first && received.length > 0 ? 'answered' : 'closed'));
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (first) {
        if (received.includes('\r\n\r\n')) finish('answered');
        return;
      }
      const end = received.indexOf('\r\n\r\n');
      if (end < 0) return;
      const [statusLine = '', ...lines] = received.subarray(0, end).toString('latin1').split('\r\n');
      const headers = Object.fromEntries(
        lines.map((line) => [
          line.slice(0, line.indexOf(':')).toLowerCase(),
          line.slice(line.indexOf(':') + 1).trim(),
        ]),
      );
      const length = Number(headers['content-length'] ?? 0);
      if (received.length < end + 4 + length) return;
      first = {
        status: Number(statusLine.split(' ')[1]),
        headers,
        body: received.subarray(end + 4, end + 4 + length).toString('utf8'),
      };
      received = received.subarray(end + 4 + length);
      timer = setTimeout(() => finish('hung'), 2000);
      if (!socket.destroyed && socket.writable)
        socket.write('GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n', () => {});
    });
    socket.on('connect', async () => {
      const head = [
        `POST ${path} HTTP/1.1`,
        'Host: localhost',
        'Content-Type: application/json',
        options.chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${size}`,
        ...(options.key ? [`X-API-Key: ${options.key}`] : []),
        'Stripe-Signature: t=1,v1=00',
        '',
        '',
      ].join('\r\n');
      socket.write(head);
      const body = Buffer.from(`{"padding":"${'x'.repeat(size - 14)}"}`);
      for (let offset = 0; offset < body.length && !socket.destroyed; offset += 64 * 1024) {
        const piece = body.subarray(offset, offset + 64 * 1024);
        const data = options.chunked
          ? Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')])
          : piece;
        if (!socket.write(data)) await new Promise((resume) => socket.once('drain', resume));
      }
      if (options.chunked && !socket.destroyed) socket.write('0\r\n\r\n');
    });
  });
}

describe('a body over the limit, over a socket', () => {
  let tollgate: Tollgate;
  let app: FastifyInstance;
  let port: number;
  let key: string;

  beforeEach(async () => {
    const store = createSqliteStore({ filename: ':memory:' });
    await store.migrate();
    tollgate = createTollgate({
      catalog: testCatalog(),
      store,
      counters: createMemoryCounters(),
      clock: new ManualClock(Date.UTC(2026, 0, 15, 12)),
    });
    app = createServer({ tollgate, stripeWebhooks: acceptingInbox });
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.server.address() as AddressInfo).port;
    const customer = await tollgate.createCustomer({});
    key = (await tollgate.issueApiKey(customer.id)).key;
  });

  afterEach(async () => {
    await app.close();
    await tollgate.close();
    await tollgate.store.close();
  });

  const routes = [
    ['the webhook route', '/api/v1/webhooks/stripe'],
    ['a JSON route', '/api/v1/usage/record'],
  ] as const;

  for (const [name, path] of routes) {
    for (const chunked of [false, true]) {
      it(`answers 413 on ${name} (${chunked ? 'chunked' : 'Content-Length'}), then closes, and the server stops at once`, async () => {
        const answer = await exchange(port, path, OVERSIZED, { chunked, key });
        expect(answer.writeError).toBeNull();
        expect(answer.status).toBe(413);
        expect(answer.headers.connection).toBe('close');
        expect(JSON.parse(answer.body)).toEqual({
          error: 'payload_too_large',
          message: `The request body is larger than ${LIMIT} bytes.`,
          limit_bytes: LIMIT,
        });
        expect(answer.next).toBe('closed');
        const started = performance.now();
        await app.close();
        expect(performance.now() - started).toBeLessThan(1000);
      });
    }
  }

  it('still serves a body just under the limit on the same kind of connection', async () => {
    const answer = await exchange(port, '/api/v1/webhooks/stripe', LIMIT - 1024, { chunked: false });
    // Read whole and handed to the inbox as the bytes received, on a connection that stays open.
    expect(answer.status).toBe(200);
    expect(handed).toBe(LIMIT - 1024);
    expect(answer.next).toBe('answered');
  });

  it('answers at once, without reading, a Content-Length past what it would discard', async () => {
    const socket = connect(port, '127.0.0.1');
    const started = performance.now();
    const answer = new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (chunk: Buffer) => {
        text += chunk.toString('latin1');
      });
      socket.on('close', () => resolve(text));
      socket.on('error', () => {});
    });
    socket.write(
      `POST /api/v1/webhooks/stripe HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${100 * 1024 * 1024}\r\n\r\n{"id":`,
    );
    const text = await answer;
    expect(text).toMatch(/^HTTP\/1\.1 413 /);
    expect(text.toLowerCase()).toContain('connection: close');
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
