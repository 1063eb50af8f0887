/**
 * How busy the whole machine was during a measured window, from /proc/stat (Linux), so a run can
 * show how much CPU went to processes other than the bench's server and autocannon: on a shared
 * 2-core machine that is the first thing to rule out before reading a figure.
 */
import { readFileSync } from 'node:fs';

export interface MachineSample {
  /** Jiffies the CPUs spent busy (everything but idle and iowait), summed over cores. */
  busy: number;
  at: number;
}

/** Clock ticks per second of /proc/stat; 100 on every Linux build Node runs on. */
const TICKS_PER_SECOND = 100;

export function sampleMachine(): MachineSample | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
    const fields = line.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
    return { busy: user + nice + system + irq + softirq + steal, at: performance.now() };
  } catch {
    return undefined;
  }
}

/** Cores' worth of CPU the machine used between two samples (2.0 = both cores of a 2-core machine). */
export function busyCores(
  before: MachineSample | undefined,
  after: MachineSample | undefined,
): number | null {
  if (!before || !after || after.at <= before.at) return null;
  return (after.busy - before.busy) / TICKS_PER_SECOND / ((after.at - before.at) / 1000);
}

/** Waits up to `timeoutMs` for the machine to be nearly idle (other test runs finished), sampling 1 s at a time. */
export async function waitForQuietMachine(maxBusyCores: number, timeoutMs: number): Promise<number | null> {
  const deadline = performance.now() + timeoutMs;
  let busy: number | null = null;
  do {
    const before = sampleMachine();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    busy = busyCores(before, sampleMachine());
    if (busy === null || busy <= maxBusyCores) return busy;
  } while (performance.now() < deadline);
  return busy;
}
