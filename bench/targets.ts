/**
 * The targets of DESIGN.md section 7 that this bench measures, and how each is read from a run's
 * figures. A target whose figures were not measured (a block skipped with BENCH_ONLY) is left out.
 */
import type { ConsumeResult } from './consume.js';
import type { LoadResult } from './load.js';

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
}

interface TargetDefinition {
  name: string;
  unit: TargetRow['unit'];
  comparison: TargetRow['comparison'];
  target: number;
  from: string;
  value(figures: RunFigures): number | undefined;
}

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
    });
  }
  return rows;
}
