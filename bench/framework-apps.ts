/**
 * The middleware-overhead servers: for Express, Fastify and Hono, one route `POST /work` answering
 * `{ "ok": true }`, either bare (ungated) or behind the framework's own Tollgate adapter
 * (`tollgateExpress`, `tollgateFastify`, `tollgateHono`), mounted as `src/adapters/contract-servers.ts`
 * mounts them. Gated, a request is authenticated by its X-API-Key, rate- and concurrency-limited,
 * debited and recorded durably (group commit) before the handler runs, exactly as `gateRoute` does
 * for the service.
 */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { tollgateExpress } from '../src/adapters/express.js';
import { tollgateFastify } from '../src/adapters/fastify.js';
import { tollgateHono } from '../src/adapters/hono.js';
import type { Tollgate } from '../src/core/tollgate.js';
import { BENCH_OPERATION } from './bench-catalog.js';

export type Framework = 'express' | 'fastify' | 'hono';
export const FRAMEWORKS: readonly Framework[] = ['express', 'fastify', 'hono'];

export interface FrameworkServer {
  /** Listens on 127.0.0.1 and an ephemeral port; resolves with the port. */
  listen(): Promise<number>;
  close(): Promise<void>;
}

const ok = { ok: true };

function portOf(address: AddressInfo | string | null): number {
  if (address === null || typeof address === 'string') throw new Error('expected a TCP address');
  return address.port;
}

/** The route on `framework`, gated by its adapter when `tollgate` is given. */
export function buildFrameworkServer(
  framework: Framework,
  route: string,
  tollgate: Tollgate | undefined,
): FrameworkServer {
  if (framework === 'fastify') {
    const app = Fastify({ logger: false });
    if (tollgate) {
      const gate = tollgateFastify({ tollgate });
      app.post(route, { preHandler: gate({ operation: BENCH_OPERATION }) }, async () => ok);
    } else {
      app.post(route, async () => ok);
    }
    return {
      listen: async () => Number(new URL(await app.listen({ host: '127.0.0.1', port: 0 })).port),
      close: () => app.close(),
    };
  }

  if (framework === 'express') {
    const app = express();
    if (tollgate) {
      const gate = tollgateExpress({ tollgate });
      app.post(route, gate({ operation: BENCH_OPERATION }), (_req, res) => {
        res.json(ok);
      });
    } else {
      app.post(route, (_req, res) => {
        res.json(ok);
      });
    }
    let server: ReturnType<typeof app.listen> | undefined;
    return {
      async listen() {
        const listening = app.listen(0, '127.0.0.1');
        server = listening;
        await new Promise<void>((resolve, reject) => {
          listening.once('listening', resolve).once('error', reject);
        });
        return portOf(listening.address());
      },
      close: () => closeNodeServer(server),
    };
  }

  const app = new Hono();
  if (tollgate) {
    const gate = tollgateHono({ tollgate });
    app.post(route, gate({ operation: BENCH_OPERATION }), (c) => c.json(ok));
  } else {
    app.post(route, (c) => c.json(ok));
  }
  let server: ReturnType<typeof serve> | undefined;
  return {
    async listen() {
      const listening = await new Promise<ReturnType<typeof serve>>((resolve) => {
        const started = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(started));
      });
      server = listening;
      return portOf(listening.address());
    },
    close: () => closeNodeServer(server),
  };
}

interface NodeServer {
  close(callback: () => void): unknown;
  closeAllConnections?: () => void;
}

function closeNodeServer(server: NodeServer | undefined): Promise<void> {
  if (!server) return Promise.resolve();
  return new Promise<void>((resolve) => {
    server.closeAllConnections?.();
    server.close(() => resolve());
  });
}
