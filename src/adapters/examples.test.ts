/**
 * The runnable examples stay runnable: each one's app, served on a real socket, meters a search,
 * refuses the federation feature on the free plan and answers its exempt health check.
 */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { describe, expect, it } from 'vitest';
import * as expressExample from '../../examples/express-app.js';
import * as fastifyExample from '../../examples/fastify-app.js';
import * as honoExample from '../../examples/hono-app.js';

interface Served {
  baseUrl: string;
  apiKey: string;
  close(): Promise<void>;
}

const urlOf = (address: AddressInfo | string | null) => `http://127.0.0.1:${(address as AddressInfo).port}`;

const examples: Record<string, () => Promise<Served>> = {
  express: async () => {
    const { app, apiKey, close } = await expressExample.createExampleApp();
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const stop = () => new Promise<void>((resolve) => server.close(() => resolve()));
    return {
      baseUrl: urlOf(server.address()),
      apiKey,
      close: async () => {
        await stop();
        await close();
      },
    };
  },
  fastify: async () => {
    const { app, apiKey, close } = await fastifyExample.createExampleApp();
    await app.listen({ port: 0, host: '127.0.0.1' });
    return { baseUrl: urlOf(app.server.address()), apiKey, close };
  },
  hono: async () => {
    const { app, apiKey, close } = await honoExample.createExampleApp();
    const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const started = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(started));
    });
    const stop = () => new Promise<void>((resolve) => server.close(() => resolve()));
    return {
      baseUrl: urlOf(server.address()),
      apiKey,
      close: async () => {
        await stop();
        await close();
      },
    };
  },
};

describe('examples', () => {
  for (const [name, start] of Object.entries(examples)) {
    it(`${name}: meters a search, gates federation, exempts /health`, async () => {
      const { baseUrl, apiKey, close } = await start();
      try {
        const headers = { 'x-api-key': apiKey };
        const search = await fetch(`${baseUrl}/api/v1/search`, { method: 'POST', headers });
        expect(search.status).toBe(200);
        expect(search.headers.get('x-tier')).toBe('free');
        expect(search.headers.get('x-credits-used')).toBe('0.1');
        expect(await search.json()).toEqual({ results: [], credits_remaining: '99.9' });

        const federation = await fetch(`${baseUrl}/api/v1/federation`, { headers });
        expect(federation.status).toBe(403);
        expect(await federation.json()).toMatchObject({ error: 'feature_not_available' });

        expect((await fetch(`${baseUrl}/health`)).status).toBe(200);
      } finally {
        await close();
      }
    });
  }
});
