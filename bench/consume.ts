/**
 * The engine without HTTP: `consume()` called in this process with `inFlight` calls outstanding at
 * all times, each resolving once its usage is durable (group commit). Run as a child process
 * (`node --import tsx bench/consume.ts '<ConsumeSpec JSON>'`) so it has a core to itself; it sends
 * `{ type: 'result', result: ConsumeResult }` and exits.
 */
import { createTollgate } from '../src/core/tollgate.js';
import { createMemoryCounters } from '../src/counters/memory-counters.js';
import { countCommits } from './bench-app.js';
import { BENCH_OPERATION, benchCatalog } from './bench-catalog.js';
import { benchCustomerId } from './bench-customers.js';
import { type ChildMessage, type SampleDelta, sampleDelta, sampleProcess } from './child-protocol.js';
import { openStore, type StoreSpec } from './store-spec.js';
import { startProfiling, stopProfiling } from './window-profiler.js';

export interface ConsumeSpec {
  store: StoreSpec;
  commitConcurrency: number;
  customers: number;
  inFlight: number;
  warmupSeconds: number;
  seconds: number;
  /** Write a CPU profile of the measured window to this file. */
  profileFile?: string;
}

export interface ConsumeResult {
  consumesPerSecond: number;
  consumes: number;
  denied: number;
  seconds: number;
  process: SampleDelta;
}

async function main(): Promise<void> {
  const argument = process.argv[2];
  if (!argument || !process.send)
    throw new Error('usage: node --import tsx bench/consume.ts <spec json> (with IPC)');
  const spec = JSON.parse(argument) as ConsumeSpec;
  const commitStats = { commits: 0, debits: 0, commitMs: 0 };
  const store = countCommits(openStore(spec.store), commitStats);
  const counters = createMemoryCounters();
  const tollgate = createTollgate({
    catalog: benchCatalog(),
    store,
    counters,
    commitConcurrency: spec.commitConcurrency,
  });
  const customerIds = Array.from({ length: spec.customers }, (_, index) => benchCustomerId(index));
  const request = { operation: BENCH_OPERATION };

  let admitted = 0;
  let denied = 0;
  let running = true;
  let failure: unknown;
  const launch = (index: number): void => {
    tollgate.consume(customerIds[index % customerIds.length] ?? '', request).then(
      (decision) => {
        if (decision.allowed) admitted += 1;
        else denied += 1;
        if (running) launch(index + spec.inFlight);
      },
      (error: unknown) => {
        failure ??= error;
        running = false;
      },
    );
  };
  for (let index = 0; index < spec.inFlight; index++) launch(index);

  await sleep(spec.warmupSeconds * 1000);
  if (spec.profileFile) await startProfiling();
  const admittedBefore = admitted;
  const before = sampleProcess(commitStats);
  await sleep(spec.seconds * 1000);
  const after = sampleProcess(commitStats);
  const consumes = admitted - admittedBefore;
  if (spec.profileFile) await stopProfiling(spec.profileFile);
  running = false;
  await tollgate.close();
  await counters.close();
  await store.close();
  if (failure !== undefined) throw failure;

  const seconds = (after.at - before.at) / 1000;
  const result: ConsumeResult = {
    consumesPerSecond: consumes / seconds,
    consumes,
    denied,
    seconds,
    process: sampleDelta(before, after),
  };
  const message: ChildMessage = { type: 'result', result };
  process.send(message, () => process.exit(0));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
