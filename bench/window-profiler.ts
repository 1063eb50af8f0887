/**
 * A V8 CPU profile of exactly the measured window, taken from inside a bench child with the inspector
 * (`--cpu-prof` would cover the whole process, start-up and module loading included, and profile
 * tsx's loader thread too). Written as a `.cpuprofile` file that Chrome DevTools opens.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

let session: Session | undefined;

export async function startProfiling(): Promise<void> {
  session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
}

export async function stopProfiling(file: string): Promise<void> {
  if (!session) throw new Error('the profiler was not started');
  const { profile } = await session.post('Profiler.stop');
  writeFileSync(file, JSON.stringify(profile));
  session.disconnect();
  session = undefined;
}
