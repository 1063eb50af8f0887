/**
 * A separate OS process running its own engine against a shared store, for multi-process tests.
 * Modes:
 *   burst   — fires `count` concurrent consume() calls at once, prints {"admitted": n, "rateDenied": n}
 *   stream  — records keyed events `key-<i>` forever, printing "ack <key>" once each is committed,
 *             so the parent can SIGKILL it mid-stream and check nothing acknowledged was lost.
 *   reserve — reserves `count` units with a 60 s TTL at billing time `now`, prints "reserved <id>" and
 *             waits, so the parent can SIGKILL it between reserve and settle.
 */
import { ManualClock } from '../../src/core/clock.js';
import type { GateDecision } from '../../src/core/gate/gate-decision.js';
import type { Counters, Store } from '../../src/core/ports.js';
import { createTollgate } from '../../src/core/tollgate.js';
import { createMemoryCounters } from '../../src/counters/memory-counters.js';
import { createRedisCounters } from '../../src/counters/redis-counters.js';
import { createPostgresStore } from '../../src/store/postgres-store.js';
import { createSqliteStore } from '../../src/store/sqlite-store.js';
import { meteredTestCatalog, testCatalog } from './test-catalog.js';

interface WorkerArgs {
  mode: 'burst' | 'stream' | 'reserve';
  /** Billing time of the engine (a fixed date); default the system clock. */
  now?: number;
  store: { kind: 'sqlite'; filename: string } | { kind: 'postgres'; url: string; schema: string };
  redis?: { url: string; prefix: string };
  customerId: string;
  count: number;
  operation: string;
  holdSlot?: boolean;
  /** Burst: reserve one unit each instead of recording it (a reserve counts as admitted). */
  reserve?: boolean;
  /** `metered` adds the plan with operation limits. */
  catalog?: 'metered';
}

const args = JSON.parse(process.argv[2] ?? '{}') as WorkerArgs;

async function openStore(): Promise<Store> {
  return args.store.kind === 'sqlite'
    ? createSqliteStore({ filename: args.store.filename, synchronous: 'NORMAL' })
    : createPostgresStore({ connectionString: args.store.url, schema: args.store.schema });
}

const store = await openStore();
const counters: Counters = args.redis
  ? createRedisCounters({ url: args.redis.url, prefix: args.redis.prefix })
  : createMemoryCounters();
const tollgate = createTollgate({
  catalog: args.catalog === 'metered' ? meteredTestCatalog() : testCatalog(),
  store,
  counters,
  commitConcurrency: args.store.kind === 'postgres' ? 4 : 1,
  ...(args.now !== undefined && { clock: new ManualClock(args.now) }),
});

/** Says "ready" and waits for the parent's "go", so every process fires at the same moment. */
async function barrier(): Promise<void> {
  process.stdout.write('ready\n');
  await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
  process.stdin.pause();
}

if (args.mode === 'burst') {
  await tollgate.check(args.customerId, {});
  await barrier();
  // Fire in waves of 5 a couple of milliseconds apart, so this process commits many small batches
  // spread over time that interleave with the other processes' batches on the same counter row (one
  // burst would be one batch, and on a loaded machine one process could finish before another starts).
  const pending: Array<Promise<GateDecision>> = [];
  for (let i = 0; i < args.count; i++) {
    pending.push(
      args.reserve
        ? tollgate
            .reserve(args.customerId, { operation: args.operation, quantity: 1 })
            .then((result) => result.decision)
        : tollgate.consume(args.customerId, { operation: args.operation, holdSlot: args.holdSlot ?? false }),
    );
    if (i % 5 === 4) await new Promise((resolve) => setTimeout(resolve, 2));
  }
  const decisions = await Promise.all(pending);
  process.stdout.write(
    `${JSON.stringify({
      admitted: decisions.filter((d) => d.allowed).length,
      rateDenied: decisions.filter((d) => d.reason === 'rate_limited').length,
      slotDenied: decisions.filter((d) => d.reason === 'concurrency_limited').length,
    })}\n`,
  );
  await tollgate.close();
  await counters.close();
  await store.close();
} else if (args.mode === 'reserve') {
  const { reservation } = await tollgate.reserve(args.customerId, {
    operation: args.operation,
    quantity: args.count,
    ttlSeconds: 60,
  });
  process.stdout.write(`reserved ${reservation?.id ?? 'none'}\n`);
  await new Promise(() => {});
} else {
  // Keep 64 records in flight; acknowledge each only after its commit resolved.
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const key = `key-${next++}`;
      const decision = await tollgate.consume(args.customerId, {
        operation: args.operation,
        idempotencyKey: key,
      });
      if (decision.allowed) process.stdout.write(`ack ${key}\n`);
    }
  };
  await Promise.all(Array.from({ length: 64 }, worker));
}
