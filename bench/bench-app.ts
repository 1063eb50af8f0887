/**
 * The servers compared, built from a JSON spec so the parent process can ask a child for any of them:
 * - one Fastify route `POST /work` answering `{ ok: true }`: ungated (the baseline), gated by Tollgate
 *   (`gateRoute`), and the naive design;
 * - the same route on Express, Fastify or Hono, bare or behind that framework's adapter (framework);
 * - the real service (`createServer`) for usage ingestion (service) and for Stripe webhooks (webhooks).
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { Store } from '../src/core/ports.js';
import { createTollgate, type TollgateOptions } from '../src/core/tollgate.js';
import { createMemoryCounters } from '../src/counters/memory-counters.js';
import { installErrorHandler } from '../src/server/error-handler.js';
import { gateRoute } from '../src/server/gate-hook.js';
import { apiKeyFrom } from '../src/server/request-auth.js';
import { BENCH_OPERATION, benchCatalog } from './bench-catalog.js';
import { buildFrameworkServer, type Framework } from './framework-apps.js';
import { type NaiveDatabaseSpec, openNaiveDesign } from './naive-design.js';
import {
  buildIngestServer,
  buildWebhookServer,
  type StripeSpec,
  type WebhookCounts,
} from './service-apps.js';
import { openStore, type StoreSpec } from './store-spec.js';

export type ServerSpec =
  | { app: 'ungated' }
  | {
      app: 'gated';
      store: StoreSpec;
      commitConcurrency: number;
      /** Engine options other than the defaults, for diagnostic runs (the bench itself uses defaults). */
      tuning?: Pick<TollgateOptions, 'customerTtlMs' | 'keyCacheTtlMs'>;
    }
  | { app: 'naive'; database: NaiveDatabaseSpec }
  /** The route on a framework: bare, or gated by its adapter when a store is given. */
  | { app: 'framework'; framework: Framework; gated?: { store: StoreSpec; commitConcurrency: number } }
  /** The HTTP service (`createServer`) on the bench catalog: `POST /api/v1/usage/record`. */
  | { app: 'service'; store: StoreSpec; commitConcurrency: number }
  /** The HTTP service with the Stripe webhook inbox, on the demo catalog. */
  | { app: 'webhooks'; store: StoreSpec; stripe: StripeSpec };

/** Group commits seen by the store since start, to tell batch sizes and time spent writing. */
export interface CommitStats {
  commits: number;
  debits: number;
  /** Wall time inside `commitUsage` (on SQLite: time the event loop was blocked writing). */
  commitMs: number;
}

export interface BenchApp {
  /** Listens on 127.0.0.1 and an ephemeral port; resolves with the port. */
  listen(): Promise<number>;
  commitStats: CommitStats;
  /** Named counts the server keeps (the webhook server's outcomes); sampled with the CPU figures. */
  counts: Record<string, number>;
  close(): Promise<void>;
}

export const BENCH_ROUTE = '/work';

const listenFastify = async (app: FastifyInstance): Promise<number> =>
  Number(new URL(await app.listen({ host: '127.0.0.1', port: 0 })).port);

export async function buildBenchApp(spec: ServerSpec): Promise<BenchApp> {
  const commitStats: CommitStats = { commits: 0, debits: 0, commitMs: 0 };
  if (spec.app === 'framework') return buildFrameworkApp(spec, commitStats);
  if (spec.app === 'service' || spec.app === 'webhooks') return buildServiceApp(spec, commitStats);

  const app = Fastify({ logger: false });
  if (spec.app === 'ungated') {
    app.post(BENCH_ROUTE, async () => ({ ok: true }));
    return { listen: () => listenFastify(app), commitStats, counts: {}, close: () => app.close() };
  }

  if (spec.app === 'naive') {
    const naive = openNaiveDesign(spec.database);
    app.post(BENCH_ROUTE, async (request, reply) => {
      const outcome = await naive.handle(apiKeyFrom(request.headers));
      if (outcome === 'unauthorized') return reply.code(401).send({ error: 'unauthorized' });
      if (outcome === 'quota_exceeded') return reply.code(429).send({ error: 'quota_exceeded' });
      return { ok: true };
    });
    return {
      listen: () => listenFastify(app),
      commitStats,
      counts: {},
      async close() {
        await app.close();
        await naive.close();
      },
    };
  }

  const store = countCommits(openStore(spec.store), commitStats);
  const counters = createMemoryCounters();
  const tollgate = createTollgate({
    catalog: benchCatalog(),
    store,
    counters,
    commitConcurrency: spec.commitConcurrency,
    ...spec.tuning,
  });
  installErrorHandler(app);
  app.post(BENCH_ROUTE, { preHandler: gateRoute(tollgate, { operation: BENCH_OPERATION }) }, async () => ({
    ok: true,
  }));
  return {
    listen: () => listenFastify(app),
    commitStats,
    counts: {},
    async close() {
      await app.close();
      await tollgate.close();
      await counters.close();
      await store.close();
    },
  };
}

function buildFrameworkApp(spec: ServerSpec & { app: 'framework' }, commitStats: CommitStats): BenchApp {
  if (!spec.gated) {
    const server = buildFrameworkServer(spec.framework, BENCH_ROUTE, undefined);
    return { listen: () => server.listen(), commitStats, counts: {}, close: () => server.close() };
  }
  const store = countCommits(openStore(spec.gated.store), commitStats);
  const counters = createMemoryCounters();
  const tollgate = createTollgate({
    catalog: benchCatalog(),
    store,
    counters,
    commitConcurrency: spec.gated.commitConcurrency,
  });
  const server = buildFrameworkServer(spec.framework, BENCH_ROUTE, tollgate);
  return {
    listen: () => server.listen(),
    commitStats,
    counts: {},
    async close() {
      await server.close();
      await tollgate.close();
      await counters.close();
      await store.close();
    },
  };
}

function buildServiceApp(
  spec: ServerSpec & { app: 'service' | 'webhooks' },
  commitStats: CommitStats,
): BenchApp {
  const store = countCommits(openStore(spec.store), commitStats);
  const counts: WebhookCounts = { processed: 0, duplicate: 0, ignored: 0, failed: 0, stripeRequests: 0 };
  const server =
    spec.app === 'service'
      ? buildIngestServer(store, benchCatalog(), spec.commitConcurrency)
      : buildWebhookServer(store, spec.stripe, counts);
  return {
    listen: () => listenFastify(server.app),
    commitStats,
    counts: spec.app === 'webhooks' ? counts : {},
    async close() {
      await server.close();
      await store.close();
    },
  };
}

/** The store, with every `commitUsage` call counted and timed. */
export function countCommits(store: Store, stats: CommitStats): Store {
  return {
    ...store,
    async commitUsage(debits, recordedAt) {
      const started = performance.now();
      try {
        return await store.commitUsage(debits, recordedAt);
      } finally {
        stats.commits += 1;
        stats.debits += debits.length;
        stats.commitMs += performance.now() - started;
      }
    },
  };
}
