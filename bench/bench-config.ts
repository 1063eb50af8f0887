/**
 * What a bench run measures and for how long, from the environment. Durations are short enough for
 * the whole run to stay under ~5 minutes (quick mode: ~1.5 minutes) and long enough for the figures
 * to repeat within a few percent.
 */

export interface BenchConfig {
  /** Seconds of load before the measured window: JIT, caches and connection pools settle. */
  warmupSeconds: number;
  /** Seconds of measured load per server. */
  measureSeconds: number;
  /** Seconds of the in-process consume() run. */
  consumeSeconds: number;
  /**
   * Measured seconds per server in the webhooks, ingest and adapters blocks: shorter than
   * `measureSeconds` so the three add under ~2 minutes to a full run. BENCH_SECONDS sets both.
   */
  blockSeconds: number;
  /** Connections sending usage batches in the ingest block. */
  ingestConnections: number;
  /** Distinct webhook events prepared per customer (x customers = distinct events in the list). */
  webhookRounds: number;
  connections: number;
  customers: number;
  /** Usage rows stored before the "1M rows" runs. */
  preloadRows: number;
  postgresUrl: string;
  /** Group commits written at once by the PostgreSQL store. */
  postgresCommitConcurrency: number;
  /** Write a V8 CPU profile of every server child to bench/results/profiles/. */
  profile: boolean;
  /**
   * Before each measurement, wait up to this many seconds for other processes to leave the CPUs
   * (a shared machine); 0 measures at once.
   */
  waitQuietSeconds: number;
  /** Blocks to run (sqlite, sqlite-full, postgres, consume, webhooks, ingest, adapters); all when unset. */
  only: Set<string> | null;
  quick: boolean;
}

const DEFAULT_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/test';

export function readBenchConfig(env: NodeJS.ProcessEnv = process.env): BenchConfig {
  const quick = env.BENCH_QUICK === '1';
  const seconds = positiveNumber(env.BENCH_SECONDS, 'BENCH_SECONDS');
  const measureSeconds = seconds ?? (quick ? 2 : 8);
  const only = env.BENCH_ONLY?.trim();
  return {
    warmupSeconds: quick ? 1 : 2,
    measureSeconds,
    consumeSeconds: quick ? 2 : 5,
    blockSeconds: seconds ?? (quick ? 2 : 5),
    ingestConnections: positiveNumber(env.BENCH_INGEST_CONNECTIONS, 'BENCH_INGEST_CONNECTIONS') ?? 10,
    webhookRounds: positiveNumber(env.BENCH_WEBHOOK_ROUNDS, 'BENCH_WEBHOOK_ROUNDS') ?? 60,
    connections: 50,
    customers: 1_000,
    preloadRows: positiveNumber(env.BENCH_PRELOAD_ROWS, 'BENCH_PRELOAD_ROWS') ?? 1_000_000,
    postgresUrl: env.TOLLGATE_BENCH_POSTGRES_URL || DEFAULT_POSTGRES_URL,
    postgresCommitConcurrency:
      positiveNumber(env.BENCH_POSTGRES_COMMIT_CONCURRENCY, 'BENCH_POSTGRES_COMMIT_CONCURRENCY') ?? 4,
    profile: env.BENCH_PROFILE === '1',
    waitQuietSeconds:
      env.BENCH_WAIT_QUIET === '0'
        ? 0
        : (positiveNumber(env.BENCH_WAIT_QUIET, 'BENCH_WAIT_QUIET') ?? (quick ? 5 : 20)),
    only: only ? new Set(only.split(',').map((name) => name.trim())) : null,
    quick,
  };
}

function positiveNumber(value: string | undefined, name: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0)
    throw new Error(`${name} must be a positive number, got '${value}'`);
  return parsed;
}
