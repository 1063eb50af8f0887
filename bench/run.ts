/**
 * `npm run bench`: the targets of DESIGN.md section 7, measured in one run on this machine.
 *
 * Each server runs in a child process and autocannon in this one, so on a 2-core machine each gets a
 * core. Every store is fresh: SQLite files in a temporary directory, PostgreSQL schemas created for
 * the run; all are removed at the end, and every child is ended, also on an error or Ctrl-C.
 * Environment: BENCH_SECONDS (measured seconds per server, default 8), BENCH_QUICK=1 (short smoke
 * run), BENCH_ONLY=sqlite,sqlite-full,postgres,consume,webhooks,ingest,adapters, BENCH_PROFILE=1 (CPU profile of every
 * measured window, written to bench/results/profiles/ and summarized),
 * TOLLGATE_BENCH_POSTGRES_URL, BENCH_POSTGRES_COMMIT_CONCURRENCY (default 4), BENCH_WAIT_QUIET (seconds
 * to wait for other processes to leave the CPUs before each measurement; default 20, 0 = never).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { ServerSpec } from './bench-app.js';
import { readBenchConfig } from './bench-config.js';
import { makeBenchCustomers } from './bench-customers.js';
import { killAllChildren, startChild } from './child-process.js';
import type { ConsumeResult, ConsumeSpec } from './consume.js';
import { FRAMEWORKS } from './framework-apps.js';
import { INGEST_PATH_LABEL, ingestRequests, RECORD_PATH } from './ingest-batches.js';
import { driveLoad, type LoadOptions, type LoadResult } from './load.js';
import { waitForQuietMachine } from './machine-load.js';
import { prepareNaiveDatabase } from './naive-design.js';
import { formatProfile, summarizeProfile } from './profile-summary.js';
import { formatConsume, formatIngest, formatLoad, formatSummary, formatWebhooks } from './report.js';
import type { StoreSpec } from './store-spec.js';
import { evaluateTargets, INGEST_BATCH_SIZE, type RunFigures } from './targets.js';
import { prepareTollgateStore } from './tollgate-fixture.js';
import { prepareWebhookFixture, WEBHOOK_PATH, type WebhookFixture } from './webhook-fixture.js';

const config = readBenchConfig();
/** Cores' worth of CPU other processes may use for the machine to count as quiet. */
const QUIET_CORES = 0.25;
const resultsDirectory = fileURLToPath(new URL('./results/', import.meta.url));
const profileDirectory = join(resultsDirectory, 'profiles');
const workDirectory = mkdtempSync(join(tmpdir(), 'tollgate-bench-'));
const postgresSchemas: string[] = [];
/** The webhook block's Stripe emulator, closed at the end of the block or by the clean-up. */
let webhookFixture: WebhookFixture | undefined;
const figures: RunFigures = { loads: new Map(), consumes: new Map() };
const profiles: Array<{ label: string; file: string }> = [];
const now = Date.now();
const customers = makeBenchCustomers(config.customers, now);
const keys = customers.map((customer) => customer.key);
const rowsLabel = `${formatCount(config.preloadRows)} usage rows`;
/** In the webhook block, one delivery in WEBHOOK_DUPLICATE_EVERY + 1 repeats an event already applied. */
const WEBHOOK_DUPLICATE_EVERY = 10;

function formatCount(count: number): string {
  return count >= 1_000_000 && count % 1_000_000 === 0
    ? `${count / 1_000_000}M`
    : count.toLocaleString('en-US');
}

const selected = (block: string): boolean => config.only === null || config.only.has(block);

/** Waits (up to BENCH_WAIT_QUIET) for other processes to leave the CPUs before a measurement. */
async function awaitQuietMachine(): Promise<void> {
  if (config.waitQuietSeconds === 0) return;
  const started = performance.now();
  const busy = await waitForQuietMachine(QUIET_CORES, config.waitQuietSeconds * 1000);
  const waited = (performance.now() - started) / 1000;
  if (busy !== null && busy > QUIET_CORES) {
    console.log(
      `  (other processes still use ${busy.toFixed(1)} cores after ${waited.toFixed(0)} s: measuring anyway)`,
    );
  } else if (waited > 2) {
    console.log(`  (waited ${waited.toFixed(0)} s for other processes to leave the CPUs)`);
  }
}

interface Measurement {
  /** Name of the figure in latest.json and the targets. */
  name: string;
  label: string;
  spec: ServerSpec;
  /** API keys sent in rotation (none: the ungated route); ignored with `nextRequest`. */
  keys?: readonly string[];
  /** Measured seconds; default BENCH_SECONDS. */
  seconds?: number;
  connections?: number;
  path?: string;
  nextRequest?: LoadOptions['nextRequest'];
  /** How the line is printed; default requests per second. */
  format?: (label: string, result: LoadResult) => string;
}

async function measure(measurement: Measurement): Promise<LoadResult> {
  const { name, label, spec } = measurement;
  await awaitQuietMachine();
  const profileFile = config.profile ? join(profileDirectory, `${name}.cpuprofile`) : undefined;
  const child = await startChild({ entry: 'server.ts', spec, waitForReady: true });
  let result: LoadResult;
  try {
    result = await driveLoad(child, {
      warmupSeconds: config.warmupSeconds,
      measureSeconds: measurement.seconds ?? config.measureSeconds,
      connections: measurement.connections ?? config.connections,
      keys: measurement.keys ?? [],
      ...(measurement.path ? { path: measurement.path } : {}),
      ...(measurement.nextRequest ? { nextRequest: measurement.nextRequest } : {}),
      ...(profileFile ? { profileFile } : {}),
    });
  } finally {
    await child.stop();
  }
  if (profileFile) profiles.push({ label, file: profileFile });
  figures.loads.set(name, result);
  console.log((measurement.format ?? formatLoad)(label, result));
  return result;
}

function measureServer(name: string, label: string, spec: ServerSpec, sentKeys: readonly string[]) {
  return measure({ name, label, spec, keys: sentKeys });
}

let ungated: Promise<LoadResult> | undefined;
/** The baseline, measured once per run whichever block needs it first. */
const measureUngated = (): Promise<LoadResult> => {
  ungated ??= measureServer('ungated', 'ungated (no Tollgate)', { app: 'ungated' }, []);
  return ungated;
};

async function timed<T>(what: string, work: () => Promise<T> | T): Promise<T> {
  const started = performance.now();
  const value = await work();
  console.log(`  (${what}: ${((performance.now() - started) / 1000).toFixed(1)} s)`);
  return value;
}

function sqliteSpec(name: string, synchronous: 'NORMAL' | 'FULL'): StoreSpec {
  return { kind: 'sqlite', filename: join(workDirectory, `${name}.db`), synchronous };
}

function postgresSpec(suffix: string): StoreSpec & { kind: 'postgres' } {
  const schema = `tollgate_bench_${process.pid}_${suffix}`;
  postgresSchemas.push(schema);
  return { kind: 'postgres', connectionString: config.postgresUrl, schema };
}

async function runSqliteBlock(): Promise<void> {
  console.log('\nSQLite, WAL, synchronous=NORMAL');
  await measureUngated();
  const empty = sqliteSpec('gated-0', 'NORMAL');
  await prepareTollgateStore(empty, { customers, usageRows: 0, now });
  await measureServer('sqlite-gated-0', 'gated (Tollgate), 0 usage rows', gated(empty, 1), keys);

  const loaded = sqliteSpec('gated-1m', 'NORMAL');
  await timed(`stored ${rowsLabel}`, () =>
    prepareTollgateStore(loaded, { customers, usageRows: config.preloadRows, now }),
  );
  await measureServer('sqlite-gated-1m', `gated (Tollgate), ${rowsLabel}`, gated(loaded, 1), keys);

  const naive = { kind: 'sqlite' as const, filename: join(workDirectory, 'naive.db') };
  await timed(`stored ${rowsLabel} for the naive design`, () =>
    prepareNaiveDatabase(naive, customers, config.preloadRows, now),
  );
  await measureServer('sqlite-naive-1m', `naive, ${rowsLabel}`, { app: 'naive', database: naive }, keys);
}

async function runSqliteFullBlock(): Promise<void> {
  console.log('\nSQLite, WAL, synchronous=FULL (an fsync per commit)');
  await measureUngated();
  const spec = sqliteSpec('gated-full', 'FULL');
  await prepareTollgateStore(spec, { customers, usageRows: 0, now });
  await measureServer('sqlite-full-gated', 'gated (Tollgate), 0 usage rows', gated(spec, 1), keys);
}

async function runPostgresBlock(): Promise<void> {
  console.log(`\nPostgreSQL (commitConcurrency ${config.postgresCommitConcurrency})`);
  if (!(await postgresAnswers())) return;
  await measureUngated();
  const spec = postgresSpec('gated');
  await timed(`stored ${rowsLabel}`, () =>
    prepareTollgateStore(spec, { customers, usageRows: config.preloadRows, now }),
  );
  const server = gated(spec, config.postgresCommitConcurrency);
  await measureServer('postgres-gated-1m', `gated (Tollgate), ${rowsLabel}`, server, keys);
  await measureServer('postgres-gated-hot', 'gated, one hot customer', server, keys.slice(0, 1));

  const naiveSchema = `tollgate_bench_${process.pid}_naive`;
  postgresSchemas.push(naiveSchema);
  const naive = {
    kind: 'postgres' as const,
    connectionString: config.postgresUrl,
    schema: naiveSchema,
    poolSize: 10,
  };
  await timed(`stored ${rowsLabel} for the naive design`, () =>
    prepareNaiveDatabase(naive, customers, config.preloadRows, now),
  );
  await measureServer('postgres-naive-1m', `naive, ${rowsLabel}`, { app: 'naive', database: naive }, keys);
}

async function runConsumeBlock(): Promise<void> {
  console.log(`\nIn-process consume(), ${config.customers} customers, 2,000 in flight, memory counters`);
  const stores: Array<{ name: string; label: string; store: StoreSpec; commitConcurrency: number }> = [
    {
      name: 'consume-sqlite',
      label: 'SQLite WAL NORMAL',
      store: sqliteSpec('consume', 'NORMAL'),
      commitConcurrency: 1,
    },
  ];
  if (selected('postgres') && (await postgresAnswers())) {
    stores.push({
      name: 'consume-postgres',
      label: 'PostgreSQL',
      store: postgresSpec('consume'),
      commitConcurrency: config.postgresCommitConcurrency,
    });
  }
  for (const { name, label, store, commitConcurrency } of stores) {
    await prepareTollgateStore(store, { customers, usageRows: 0, now });
    const spec: ConsumeSpec = {
      store,
      commitConcurrency,
      customers: config.customers,
      inFlight: 2_000,
      warmupSeconds: config.warmupSeconds,
      seconds: config.consumeSeconds,
    };
    const profileFile = config.profile ? join(profileDirectory, `${name}.cpuprofile`) : undefined;
    if (profileFile) spec.profileFile = profileFile;
    await awaitQuietMachine();
    const child = await startChild({ entry: 'consume.ts', spec, waitForReady: false });
    const result = await child.result<ConsumeResult>();
    await child.stop();
    if (profileFile) profiles.push({ label: `consume() ${label}`, file: profileFile });
    figures.consumes.set(name, result);
    console.log(formatConsume(label, result));
  }
}

async function runWebhooksBlock(): Promise<void> {
  console.log('\nStripe webhooks: POST /api/v1/webhooks/stripe on the service, SQLite WAL NORMAL');
  const store = sqliteSpec('webhooks', 'NORMAL');
  const fixture = await timed(
    `${config.customers} Stripe customers and subscriptions in the emulator, applied; ` +
      `${formatCount(config.customers * config.webhookRounds)} events signed`,
    () =>
      prepareWebhookFixture(store, {
        customers: config.customers,
        rounds: config.webhookRounds,
        connections: config.connections,
        duplicateEvery: WEBHOOK_DUPLICATE_EVERY,
        now: Date.now(),
      }),
  );
  webhookFixture = fixture;
  try {
    await measure({
      name: 'webhooks',
      label: 'signed events, 1 in 11 a duplicate',
      spec: { app: 'webhooks', store, stripe: fixture.stripe },
      seconds: config.blockSeconds,
      path: WEBHOOK_PATH,
      nextRequest: fixture.nextRequest,
      format: formatWebhooks,
    });
    const wrapped = fixture.wrappedConnections();
    if (wrapped > 0) {
      console.log(
        `  WARNING: ${wrapped} connections sent all ${formatCount(fixture.deliveries)} prepared deliveries ` +
          'and started over (duplicates only): raise BENCH_WEBHOOK_ROUNDS',
      );
    }
  } finally {
    webhookFixture = undefined;
    await fixture.close();
  }
}

async function runIngestBlock(): Promise<void> {
  console.log(
    `\nUsage ingestion: ${INGEST_PATH_LABEL}, batches of ${formatCount(INGEST_BATCH_SIZE)} events, ` +
      `${config.ingestConnections} connections, ${config.customers} customers' keys`,
  );
  const stores: Array<{ name: string; label: string; spec: StoreSpec; commitConcurrency: number }> = [];
  for (const keysVariant of ['nokeys', 'keys'] as const) {
    stores.push({
      name: `ingest-sqlite-${keysVariant}`,
      label: `SQLite NORMAL, ${keysVariant === 'keys' ? 'idempotency keys' : 'no idempotency keys'}`,
      spec: sqliteSpec(`ingest-${keysVariant}`, 'NORMAL'),
      commitConcurrency: 1,
    });
  }
  if (await postgresAnswers()) {
    for (const keysVariant of ['nokeys', 'keys'] as const) {
      stores.push({
        name: `ingest-postgres-${keysVariant}`,
        label: `PostgreSQL, ${keysVariant === 'keys' ? 'idempotency keys' : 'no idempotency keys'}`,
        spec: postgresSpec(`ingest_${keysVariant}`),
        commitConcurrency: config.postgresCommitConcurrency,
      });
    }
  }
  for (const { name, label, spec, commitConcurrency } of stores) {
    await prepareTollgateStore(spec, { customers, usageRows: 0, now });
    await measure({
      name,
      label,
      spec: { app: 'service', store: spec, commitConcurrency },
      seconds: config.blockSeconds,
      connections: config.ingestConnections,
      path: RECORD_PATH,
      nextRequest: ingestRequests({
        keys,
        connections: config.ingestConnections,
        batchSize: INGEST_BATCH_SIZE,
        idempotencyKeys: name.endsWith('-keys'),
      }),
      format: formatIngest,
    });
  }
}

async function runAdaptersBlock(): Promise<void> {
  console.log(
    `\nMiddleware overhead: POST /work on each framework, bare and behind its Tollgate adapter ` +
      `(SQLite WAL NORMAL, 0 usage rows, ${config.customers} customers)`,
  );
  for (const framework of FRAMEWORKS) {
    const ungatedResult = await measure({
      name: `adapter-${framework}-ungated`,
      label: `${framework}, ungated`,
      spec: { app: 'framework', framework },
      seconds: config.blockSeconds,
    });
    const store = sqliteSpec(`adapter-${framework}`, 'NORMAL');
    await prepareTollgateStore(store, { customers, usageRows: 0, now });
    const gatedResult = await measure({
      name: `adapter-${framework}-gated`,
      label: `${framework}, gated (adapter)`,
      spec: { app: 'framework', framework, gated: { store, commitConcurrency: 1 } },
      keys,
      seconds: config.blockSeconds,
    });
    const ratio =
      ungatedResult.requestsPerSecond === 0
        ? 0
        : gatedResult.requestsPerSecond / ungatedResult.requestsPerSecond;
    console.log(
      `  ${`${framework}: gated / ungated`.padEnd(34)}${ratio.toFixed(2).padStart(8)}  (no design target; the service's SQLite target is 0.60)`,
    );
  }
}

function gated(store: StoreSpec, commitConcurrency: number): ServerSpec {
  return { app: 'gated', store, commitConcurrency };
}

let postgresReachable: Promise<boolean> | undefined;
function postgresAnswers(): Promise<boolean> {
  postgresReachable ??= (async () => {
    const client = new pg.Client({ connectionString: config.postgresUrl, connectionTimeoutMillis: 3_000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } catch (error) {
      console.log(
        `  skipped: PostgreSQL at ${config.postgresUrl} does not answer (${(error as Error).message})`,
      );
      return false;
    } finally {
      await client.end().catch(() => {});
    }
  })();
  return postgresReachable;
}

async function cleanUp(): Promise<void> {
  killAllChildren();
  await webhookFixture?.close().catch(() => {});
  rmSync(workDirectory, { recursive: true, force: true });
  if (postgresSchemas.length === 0) return;
  const client = new pg.Client({ connectionString: config.postgresUrl, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    for (const schema of postgresSchemas) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } catch (error) {
    console.error(
      `could not drop the bench schemas ${postgresSchemas.join(', ')}: ${(error as Error).message}`,
    );
  } finally {
    await client.end().catch(() => {});
  }
}

function describeMachine() {
  const cores = cpus();
  return {
    cores: cores.length,
    model: cores[0]?.model ?? 'unknown',
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
}

async function main(): Promise<void> {
  const machine = describeMachine();
  const loadBefore = loadavg();
  console.log(
    `Tollgate bench: ${machine.cores} x ${machine.model}, Node ${machine.node}; ` +
      `${config.warmupSeconds} s warm-up + ${config.measureSeconds} s per server, ${config.connections} connections` +
      `${config.quick ? ' (quick mode)' : ''}`,
  );
  console.log(
    `load average before: ${loadBefore.map((value) => value.toFixed(2)).join(' ')}` +
      ' ("other cpu" on each line tells whether anything else ran during that measurement)',
  );
  if (config.profile) {
    // Profiles of an earlier run would be mixed with this run's.
    rmSync(profileDirectory, { recursive: true, force: true });
    mkdirSync(profileDirectory, { recursive: true });
  }

  const blocks: Array<[string, () => Promise<void>]> = [
    ['sqlite', runSqliteBlock],
    ['sqlite-full', runSqliteFullBlock],
    ['postgres', runPostgresBlock],
    ['consume', runConsumeBlock],
    ['webhooks', runWebhooksBlock],
    ['ingest', runIngestBlock],
    ['adapters', runAdaptersBlock],
  ];
  const failures: string[] = [];
  for (const [name, run] of blocks) {
    if (!selected(name)) continue;
    // A failing block (a store mid-change, a database gone) must not hide the others' figures.
    try {
      await run();
    } catch (error) {
      failures.push(`${name}: ${(error as Error).message}`);
      console.log(`  FAILED: ${(error as Error).stack ?? String(error)}`);
      killAllChildren();
    }
  }

  const rows = evaluateTargets(figures);
  console.log('\nSummary (targets from DESIGN.md section 7)');
  console.log(formatSummary(rows));
  for (const failure of failures) console.log(`  FAILED block ${failure}`);
  if (failures.length > 0) process.exitCode = 1;
  const loadAfter = loadavg();
  console.log(`load average after: ${loadAfter.map((value) => value.toFixed(2)).join(' ')}`);

  for (const profile of profiles) {
    console.log(`\nCPU profile of the measured window, ${profile.label} (${profile.file}):`);
    console.log(formatProfile(summarizeProfile(profile.file)));
  }

  mkdirSync(resultsDirectory, { recursive: true });
  const file = join(resultsDirectory, 'latest.json');
  writeFileSync(
    file,
    `${JSON.stringify(
      {
        startedAt: new Date(now).toISOString(),
        machine: { ...machine, loadAverageBefore: loadBefore, loadAverageAfter: loadAfter },
        config: { ...config, only: config.only === null ? null : [...config.only] },
        loads: Object.fromEntries(figures.loads),
        consumes: Object.fromEntries(figures.consumes),
        targets: rows,
        failures,
      },
      null,
      2,
    )}\n`,
  );
  console.log(`\nfigures written to ${file}`);
}

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    interrupted = true;
    console.error(`\n${signal}: stopping the bench and cleaning up`);
    void cleanUp().finally(() => process.exit(130));
  });
}

try {
  await main();
} catch (error) {
  console.error(error);
  process.exitCode = 1;
} finally {
  if (!interrupted) await cleanUp();
}
