/**
 * Fires many concurrent hits or slot requests at one key and counts how many were admitted. Run as a
 * child process (`node --import tsx contend-counters.ts '<json config>'`) by the cross-process test,
 * so several OS processes contend for the same Redis counters, as several Tollgate instances would.
 *
 * Protocol: the child connects, prints `ready`, waits for a line on stdin (so all children start
 * together), then prints `{"admitted": n}` and exits.
 */
import { once } from 'node:events';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import type { Counters } from '../core/ports.js';
import { createRedisCounters } from './redis-counters.js';

export interface Contention {
  mode: 'hitRate' | 'acquireSlot';
  key: string;
  limit: number;
  calls: number;
  /** The caller's clock (epoch ms): window start for hits, `now` for slots. */
  now: number;
  /** Calls started together before pausing for a millisecond. */
  waveSize: number;
}

/**
 * Makes `calls` concurrent calls and answers how many were admitted. Slots are never released.
 *
 * The calls start in small waves a millisecond apart, all of them in flight together. Started in one
 * tick, they would leave in one batch, and the first process to arrive would take every admission: the
 * waves make the processes' batches interleave in Redis, which is the contention worth testing.
 */
export async function contendCounters(counters: Counters, contention: Contention): Promise<number> {
  const { mode, key, limit, calls, now, waveSize } = contention;
  const window = { key, limit, windowStart: now, windowMs: 60_000 };
  const call = async (): Promise<boolean> =>
    mode === 'hitRate'
      ? (await counters.hitRate([window])).allowed
      : (await counters.acquireSlot(key, limit, now, now + 60_000)).acquired;
  const inFlight: Promise<boolean>[] = [];
  for (let started = 0; started < calls; started++) {
    inFlight.push(call());
    if (started % waveSize === waveSize - 1) await new Promise((resolve) => setTimeout(resolve, 1));
  }
  const results = await Promise.all(inFlight);
  return results.filter(Boolean).length;
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '{}') as Contention & { url: string; prefix: string };
  const client = new Redis(config.url, { enableAutoPipelining: true });
  await client.ping();
  const counters = createRedisCounters({ client, prefix: config.prefix });
  process.stdout.write('ready\n');
  await once(process.stdin, 'data');
  const admitted = await contendCounters(counters, config);
  process.stdout.write(`${JSON.stringify({ admitted })}\n`);
  await client.quit();
  process.stdin.destroy();
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
