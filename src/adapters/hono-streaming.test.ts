/**
 * Hono on Node holds the concurrency slot for as long as a streamed body is being sent, not only until
 * the handler returns, and frees it when the client aborts mid-stream.
 */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { stream } from 'hono/streaming';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testCatalog } from '../../test/support/test-catalog.js';
import { ManualClock } from '../core/clock.js';
import type { Store } from '../core/ports.js';
import { createTollgate, type Tollgate } from '../core/tollgate.js';
import { createMemoryCounters } from '../counters/memory-counters.js';
import { createSqliteStore } from '../store/sqlite-store.js';
import { tollgateHono } from './hono.js';

describe('hono adapter with streamed bodies', () => {
  let store: Store;
  let tollgate: Tollgate;
  let server: ReturnType<typeof serve>;
  let baseUrl: string;
  let headers: Record<string, string>;
  let finishStreams: () => void;
  let streamsDone: Promise<void>;

  beforeEach(async () => {
    store = createSqliteStore({ filename: ':memory:' });
    await store.migrate();
    tollgate = createTollgate({
      catalog: testCatalog(),
      store,
      counters: createMemoryCounters(),
      clock: new ManualClock(),
    });
    const customer = await tollgate.createCustomer({ plan: 'free' });
    headers = { 'x-api-key': (await tollgate.issueApiKey(customer.id)).key };
    streamsDone = new Promise((resolve) => {
      finishStreams = resolve;
    });
    const gate = tollgateHono({ tollgate });
    const app = new Hono();
    app.post('/feed', gate({ operation: 'search' }), (c) =>
      stream(c, async (body) => {
        await body.write('first\n');
        await streamsDone;
        await body.write('last\n');
      }),
    );
    app.post('/capture', gate({ operation: 'capture' }), (c) => c.json({ ok: true }));
    // Builds its own Response, with a decision header of its own that the gate's value overrides.
    app.post('/own', gate({ operation: 'capture' }), () =>
      Response.json({ ok: true }, { headers: { 'X-Request-Duration-Ms': 'mine', 'X-App': 'kept' } }),
    );
    server = await new Promise((resolve) => {
      const started = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(started));
    });
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterEach(async () => {
    finishStreams();
    if ('closeAllConnections' in server) server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await tollgate.close();
    await store.close();
  });

  const post = (path: string, signal?: AbortSignal) =>
    fetch(`${baseUrl}${path}`, { method: 'POST', headers, ...(signal ? { signal } : {}) });

  async function firstChunk(response: Response): Promise<ReadableStreamDefaultReader<Uint8Array>> {
    const reader = response.body!.getReader();
    await reader.read();
    return reader;
  }

  /** Retries until a request is admitted: a closed socket frees its slot a moment later. */
  async function eventuallyAdmitted(path = '/capture'): Promise<Response> {
    for (let attempt = 0; attempt < 200; attempt++) {
      const response = await post(path);
      if (response.status === 200) return response;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    throw new Error('the slot never came back');
  }

  it('sets the decision headers on a Response the handler built itself', async () => {
    const viaContext = await post('/capture');
    const own = await post('/own');
    expect(await own.json()).toEqual({ ok: true });
    expect(own.headers.get('x-app')).toBe('kept');
    expect(own.headers.get('x-request-duration-ms')).toMatch(/^\d+\.\d\d$/);
    const decisionHeaders = (response: Response) =>
      [...response.headers.keys()].filter(
        (name) => name.startsWith('x-ratelimit') || name.startsWith('x-credits'),
      );
    expect(decisionHeaders(own).length).toBeGreaterThan(0);
    expect(decisionHeaders(own)).toEqual(decisionHeaders(viaContext));
  });

  it('keeps the slot until the stream ends', async () => {
    const readers = [await firstChunk(await post('/feed')), await firstChunk(await post('/feed'))];
    // Both handlers have returned their Response; the bodies are still streaming.
    expect(await (await post('/capture')).json()).toMatchObject({ error: 'concurrency_limited' });
    finishStreams();
    for (const reader of readers) while (!(await reader.read()).done);
    await eventuallyAdmitted();
  });

  it('frees the slot when the client aborts mid-stream', async () => {
    const aborts = [new AbortController(), new AbortController()];
    for (const abort of aborts) await firstChunk(await post('/feed', abort.signal));
    expect((await post('/capture')).status).toBe(429);
    for (const abort of aborts) abort.abort();
    // Both slots come back: one new stream holds a slot while another request gets in.
    const holder = await firstChunk(await eventuallyAdmitted('/feed'));
    await eventuallyAdmitted();
    finishStreams();
    while (!(await holder.read()).done);
  });
});
