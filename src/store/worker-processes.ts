/**
 * Runs concurrency-worker.ts in separate OS processes for the cross-process store tests: each opens
 * its own store, says `ready`, and starts when told, so every process fires at once.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Store } from '../core/ports.js';
import type { WorkerSummary, WorkerTask } from './concurrency-worker.js';

const workerPath = fileURLToPath(new URL('./concurrency-worker.ts', import.meta.url));

export interface RunningWorker {
  child: ChildProcess;
  /** The worker's summary line, once it has run its task. */
  summary: Promise<WorkerSummary>;
}

/** Starts the processes, waits until all are ready, then releases them together. */
export async function startWorkers(tasks: WorkerTask[]): Promise<RunningWorker[]> {
  const children = tasks.map((task) =>
    spawn(process.execPath, ['--import', 'tsx', workerPath, JSON.stringify(task)], {
      stdio: ['pipe', 'pipe', 'inherit'],
    }),
  );
  const outputs = children.map((child) => collectLines(child));
  await Promise.all(outputs.map((output) => output.next()));
  for (const child of children) child.stdin?.write('go\n');
  return children.map((child, index) => ({
    child,
    summary: (outputs[index] as { next(): Promise<string> })
      .next()
      .then((line) => JSON.parse(line) as WorkerSummary),
  }));
}

/** Runs the tasks to the end and answers their summaries. */
export async function runProcesses(tasks: WorkerTask[]): Promise<WorkerSummary[]> {
  const workers = await startWorkers(tasks);
  return Promise.all(workers.map((worker) => worker.summary));
}

function collectLines(child: ChildProcess): { next(): Promise<string> } {
  const lines: string[] = [];
  const waiting: Array<(line: string) => void> = [];
  let failure: Error | undefined;
  const failed: Array<(error: Error) => void> = [];
  let buffer = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    let newline = buffer.indexOf('\n');
    while (newline >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      const resolve = waiting.shift();
      if (resolve) resolve(line);
      else lines.push(line);
      newline = buffer.indexOf('\n');
    }
  });
  child.on('exit', (code) => {
    if (code === 0) return;
    failure = new Error(`worker exited with ${code}`);
    for (const reject of failed) reject(failure);
  });
  return {
    next() {
      const line = lines.shift();
      if (line !== undefined) return Promise.resolve(line);
      if (failure) return Promise.reject(failure);
      return new Promise((resolve, reject) => {
        waiting.push(resolve);
        failed.push(reject);
      });
    },
  };
}

/** A new free-plan customer for the processes to race on, created at `createdAt`; returns its id. */
export async function newRaceCustomer(store: Store, createdAt: number): Promise<string> {
  const customer = await store.createCustomer({
    id: `cus_${Math.random().toString(36).slice(2)}`,
    plan: 'free',
    createdAt,
  });
  return customer.id;
}
