/**
 * The three servers compared, each one Fastify route `POST /work` answering `{ ok: true }`:
 * ungated (the baseline), gated by Tollgate, and the naive design. Built from a JSON spec so the
 * parent process can ask a child for any of them.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { Store } from '../src/core/ports.js';
import { createTollgate, type TollgateOptions } from '../src/core/tollgate.js';
import { createMemoryCounters } from '../src/counters/memory-counters.js';
import { installErrorHandler } from '../src/server/error-handler.js';
import { gateRoute } from '../src/server/gate-hook.js';
import { apiKeyFrom } from '../src/server/request-auth.js';
import { BENCH_OPERATION, benchCatalog } from './bench-catalog.js';
import { type NaiveDatabaseSpec, openNaiveDesign } from './naive-design.js';
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
  | { app: 'naive'; database: NaiveDatabaseSpec };

/** Group commits seen by the store since start, to tell batch sizes and time spent writing. */
export interface CommitStats {
  commits: number;
  debits: number;
  /** Wall time inside `commitUsage` (on SQLite: time the event loop was blocked writing). */
  commitMs: number;
}

export interface BenchApp {
  app: FastifyInstance;
  commitStats: CommitStats;
  close(): Promise<void>;
}

export const BENCH_ROUTE = '/work';

export async function buildBenchApp(spec: ServerSpec): Promise<BenchApp> {
  const app = Fastify({ logger: false });
  const commitStats: CommitStats = { commits: 0, debits: 0, commitMs: 0 };

  if (spec.app === 'ungated') {
    app.post(BENCH_ROUTE, async () => ({ ok: true }));
    return { app, commitStats, close: () => app.close() };
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
      app,
      commitStats,
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
    app,
    commitStats,
    async close() {
      await app.close();
      await tollgate.close();
      await counters.close();
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
