/**
 * The targets of DESIGN.md section 7 that this bench measures, and how each is read from a run's
 * figures. A target whose figures were not measured (a block skipped with BENCH_ONLY) is left out.
 */
import type { ConsumeResult } from './consume.js';
import { FRAMEWORKS } from './framework-apps.js';
import type { LoadResult } from './load.js';

/** Events per `POST /api/v1/usage/record` call in the ingestion block. */
export const INGEST_BATCH_SIZE = 1_000;
/**
 * Which ingestion run the targets read: batches whose every event carries its own idempotency key,
 * as a client that retries safely sends them (docs/benchmarks.md, "Usage ingestion over HTTP").
 */
export const INGEST_TARGET_VARIANT = 'keys';

/** Every figure a run can produce, by the name run.ts gives it. */
export interface RunFigures {
  loads: Map<string, LoadResult>;
  consumes: Map<string, ConsumeResult>;
}

export interface TargetRow {
  name: string;
  value: number;
  /** How the value is shown: a ratio, a rate or milliseconds. */
  unit: 'ratio' | 'times' | 'per-second' | 'ms';
  comparison: '>=' | '<=';
  target: number;
  pass: boolean;
  /** What the value is computed from. */
  from: string;
  /** A figure printed beside a target for reference only (no design target): never PASS nor MISS. */
  reference?: boolean;
}

interface TargetDefinition {
  name: string;
  unit: TargetRow['unit'];
  comparison: TargetRow['comparison'];
  target: number;
  from: string;
  reference?: boolean;
  value(figures: RunFigures): number | undefined;
}

/** Events per second a usage ingestion run answered 200 for: 2xx responses x events per batch. */
export const ingestEventsPerSecond = (result: LoadResult): number =>
  result.requestsPerSecond * INGEST_BATCH_SIZE;

/** New webhook events the inbox verified, stored and applied per second (duplicates not counted). */
export const webhookEventsPerSecond = (result: LoadResult): number =>
  (result.server.counts.processed ?? 0) / result.seconds;

const rate = (figures: RunFigures, name: string): number | undefined =>
  figures.loads.get(name)?.requestsPerSecond;

const ratio = (figures: RunFigures, top: string, bottom: string): number | undefined => {
  const a = rate(figures, top);
  const b = rate(figures, bottom);
  return a === undefined || b === undefined || b === 0 ? undefined : a / b;
};

export const TARGETS: TargetDefinition[] = [
  {
    name: 'gated / ungated, SQLite NORMAL',
    unit: 'ratio',
    comparison: '>=',
    target: 0.6,
    from: 'sqlite-gated-1m / ungated',
    value: (figures) => ratio(figures, 'sqlite-gated-1m', 'ungated'),
  },
  {
    name: 'gated / ungated, SQLite FULL',
    unit: 'ratio',
    comparison: '>=',
    target: 0.45,
    from: 'sqlite-full-gated / ungated',
    value: (figures) => ratio(figures, 'sqlite-full-gated', 'ungated'),
  },
  {
    name: 'gated / ungated, PostgreSQL',
    unit: 'ratio',
    comparison: '>=',
    target: 0.4,
    from: 'postgres-gated-1m / ungated',
    value: (figures) => ratio(figures, 'postgres-gated-1m', 'ungated'),
  },
  {
    name: 'p99, gated SQLite NORMAL (1M rows)',
    unit: 'ms',
    comparison: '<=',
    target: 10,
    from: 'sqlite-gated-1m p99',
    value: (figures) => figures.loads.get('sqlite-gated-1m')?.latency.p99,
  },
  {
    name: 'p99, gated SQLite FULL',
    unit: 'ms',
    comparison: '<=',
    target: 10,
    from: 'sqlite-full-gated p99',
    value: (figures) => figures.loads.get('sqlite-full-gated')?.latency.p99,
  },
  {
    // "The quota check costs the same at 1 or 1M usage rows": 0.90 leaves room for run-to-run noise.
    name: 'gated 1M rows / gated 0 rows, SQLite',
    unit: 'ratio',
    comparison: '>=',
    target: 0.9,
    from: 'sqlite-gated-1m / sqlite-gated-0',
    value: (figures) => ratio(figures, 'sqlite-gated-1m', 'sqlite-gated-0'),
  },
  {
    name: 'gated / naive at 1M rows, SQLite',
    unit: 'times',
    comparison: '>=',
    target: 30,
    from: 'sqlite-gated-1m / sqlite-naive-1m',
    value: (figures) => ratio(figures, 'sqlite-gated-1m', 'sqlite-naive-1m'),
  },
  {
    name: 'gated / naive at 1M rows, PostgreSQL',
    unit: 'times',
    comparison: '>=',
    target: 30,
    from: 'postgres-gated-1m / postgres-naive-1m',
    value: (figures) => ratio(figures, 'postgres-gated-1m', 'postgres-naive-1m'),
  },
  {
    name: 'one hot customer / 1,000 customers, PostgreSQL',
    unit: 'ratio',
    comparison: '>=',
    target: 0.5,
    from: 'postgres-gated-hot / postgres-gated-1m',
    value: (figures) => ratio(figures, 'postgres-gated-hot', 'postgres-gated-1m'),
  },
  {
    name: 'consume() durable, SQLite NORMAL, one core',
    unit: 'per-second',
    comparison: '>=',
    target: 100_000,
    from: 'consume-sqlite',
    value: (figures) => figures.consumes.get('consume-sqlite')?.consumesPerSecond,
  },
  {
    name: 'consume() durable, PostgreSQL, one core',
    unit: 'per-second',
    comparison: '>=',
    target: 100_000,
    from: 'consume-postgres',
    value: (figures) => figures.consumes.get('consume-postgres')?.consumesPerSecond,
  },
  {
    name: 'webhook events verified+applied, SQLite',
    unit: 'per-second',
    comparison: '>=',
    target: 2_000,
    from: 'webhooks: events the inbox processed (not duplicates) / s',
    value: (figures) => {
      const result = figures.loads.get('webhooks');
      return result && webhookEventsPerSecond(result);
    },
  },
  {
    name: 'usage ingestion over HTTP, SQLite',
    unit: 'per-second',
    comparison: '>=',
    target: 100_000,
    from: `ingest-sqlite-${INGEST_TARGET_VARIANT}: 200 responses x ${INGEST_BATCH_SIZE} / s`,
    value: (figures) => {
      const result = figures.loads.get(`ingest-sqlite-${INGEST_TARGET_VARIANT}`);
      return result && ingestEventsPerSecond(result);
    },
  },
  {
    name: 'usage ingestion over HTTP, PostgreSQL',
    unit: 'per-second',
    comparison: '>=',
    target: 50_000,
    from: `ingest-postgres-${INGEST_TARGET_VARIANT}: 200 responses x ${INGEST_BATCH_SIZE} / s`,
    value: (figures) => {
      const result = figures.loads.get(`ingest-postgres-${INGEST_TARGET_VARIANT}`);
      return result && ingestEventsPerSecond(result);
    },
  },
  ...FRAMEWORKS.map(
    (framework): TargetDefinition => ({
      name: `${framework} adapter gated / ungated, SQLite`,
      unit: 'ratio',
      comparison: '>=',
      // No design target for the adapters: the service's SQLite NORMAL target, shown for reference.
      target: 0.6,
      reference: true,
      from: `adapter-${framework}-gated / adapter-${framework}-ungated`,
      value: (figures) => ratio(figures, `adapter-${framework}-gated`, `adapter-${framework}-ungated`),
    }),
  ),
];

export function evaluateTargets(figures: RunFigures): TargetRow[] {
  const rows: TargetRow[] = [];
  for (const definition of TARGETS) {
    const value = definition.value(figures);
    if (value === undefined) continue;
    const pass = definition.comparison === '>=' ? value >= definition.target : value <= definition.target;
    rows.push({
      name: definition.name,
      value,
      unit: definition.unit,
      comparison: definition.comparison,
      target: definition.target,
      pass,
      from: definition.from,
      ...(definition.reference ? { reference: true } : {}),
    });
  }
  return rows;
}
