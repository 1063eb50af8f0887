/**
 * Starting and stopping bench children (`node --import tsx bench/<entry>.ts <spec>`), with an IPC
 * channel for readiness, samples and results. Every child started is remembered so that an
 * interrupted bench still ends them all.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ChildMessage, ProcessSample } from './child-protocol.js';

export interface BenchChild {
  pid: number;
  /** Port of a server child, once ready. */
  port: number;
  sample(): Promise<ProcessSample>;
  /** Starts a CPU profile of the child's main thread. */
  startProfile(): Promise<void>;
  /** Stops it and has the child write it to `file`. */
  stopProfile(file: string): Promise<void>;
  /** Resolves with the child's result message, for children that compute one and exit. */
  result<T>(): Promise<T>;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** bench/ file to run, e.g. `server.ts`. */
  entry: string;
  spec: unknown;
  /** Wait for `{ type: 'ready' }` (servers) or not (computations that only send a result). */
  waitForReady: boolean;
}

const running = new Set<ChildProcess>();

export function startChild(options: StartOptions): Promise<BenchChild> {
  const entry = fileURLToPath(new URL(`./${options.entry}`, import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', entry, JSON.stringify(options.spec)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  running.add(child);
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      running.delete(child);
      resolve(code);
    });
  });

  const waiters = new Map<ChildMessage['type'], Array<(message: ChildMessage) => void>>();
  child.on('message', (message: ChildMessage) => {
    const queue = waiters.get(message.type);
    const next = queue?.shift();
    if (next) next(message);
  });
  const next = <K extends ChildMessage['type']>(type: K): Promise<Extract<ChildMessage, { type: K }>> =>
    new Promise((resolve, reject) => {
      const queue = waiters.get(type) ?? [];
      queue.push((message) => resolve(message as Extract<ChildMessage, { type: K }>));
      waiters.set(type, queue);
      void exited.then((code) =>
        reject(new Error(`${options.entry} exited (code ${code}) before '${type}'`)),
      );
    });

  const handle = (port: number): BenchChild => ({
    pid: child.pid ?? -1,
    port,
    async sample() {
      const answer = next('sample');
      child.send({ type: 'sample' });
      return (await answer).sample;
    },
    async startProfile() {
      const answer = next('profile-started');
      child.send({ type: 'profile-start' });
      await answer;
    },
    async stopProfile(file) {
      const answer = next('profile-written');
      child.send({ type: 'profile-stop', file });
      await answer;
    },
    async result<T>() {
      return (await next('result')).result as T;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (child.connected) child.send({ type: 'stop' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  });

  if (!options.waitForReady) return Promise.resolve(handle(0));
  return next('ready').then((message) => handle(message.port));
}

/** Ends every child still running (on an error or Ctrl-C). */
export function killAllChildren(): void {
  for (const child of running) child.kill('SIGKILL');
}
