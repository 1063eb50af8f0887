/**
 * WAL checkpoints off the event loop. SQLite's automatic checkpoint runs inside the COMMIT that crosses
 * `wal_autocheckpoint` pages: it copies the whole WAL into the database file and fsyncs it on the thread
 * that committed, i.e. the event loop (7-20 ms every ~1,000 pages, 40% of the commit path's CPU at 1M
 * rows). Here the store's connection has `wal_autocheckpoint = 0`, and a worker thread with its own
 * connection to the same file checkpoints instead:
 *
 * - every `intervalMs` a PASSIVE checkpoint: copies what is committed, never blocks a writer or reader.
 * - the WAL is only reused from its start when a writer begins while every frame is already copied.
 *   Under steady load a commit always lands during the checkpoint, so the WAL would grow without bound
 *   (and a growing WAL is itself slow: each new block is allocated and zeroed, each page lookup scans
 *   more hash segments). Past `restartFrames` frames the worker asks the store to pause: the store takes
 *   its connection mutex (asynchronously: requests keep being served and batches keep filling, only
 *   commits wait), the worker copies the rest with a RESTART checkpoint, and the next commit writes the
 *   WAL from its start again. The file keeps its blocks; `journal_size_limit` truncates it if it grew.
 *
 * The worker is plain JavaScript evaluated from a string (it only needs better-sqlite3), so it starts the
 * same under tsx, vitest or compiled code. If it cannot start or dies, the store switches SQLite's
 * automatic checkpoint back on: slower, never unbounded. Checkpoints move data the WAL already holds
 * durably; none of this changes what a commit guarantees.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type BetterSqlite3 from 'better-sqlite3';

export interface CheckpointerOptions {
  filename: string;
  /** The store's synchronous level; the checkpointing connection fsyncs the same way. */
  synchronous: 'NORMAL' | 'FULL';
  /** Between PASSIVE checkpoints, ms (default 50). */
  intervalMs?: number;
  /**
   * WAL frames (pages) past which the writer is paused for a RESTART (default 65,536: 256 MB of 4 KB
   * pages). The pause lasts one checkpoint of the last interval's frames plus an fsync of the database
   * file (15-25 ms on the bench machine): rare enough, at ~15,000 frames/s, to stay out of the p99.
   */
  restartFrames?: number;
  /**
   * Runs `whilePaused` with no commit or query of this store in progress or starting (the store holds
   * its connection mutex meanwhile), and resolves when it has.
   */
  pause(whilePaused: () => Promise<void>): Promise<void>;
}

export interface Checkpointer {
  /** Stops the worker and closes its connection; the store's own close then checkpoints the rest. */
  stop(): Promise<void>;
}

/** Automatic checkpoint size SQLite uses by default, restored if the worker is lost. */
const SQLITE_DEFAULT_AUTOCHECKPOINT = 1000;

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.filename, { fileMustExist: true });
db.pragma('busy_timeout = ' + workerData.busyTimeoutMs);
db.pragma('synchronous = ' + workerData.synchronous);
let timer;
let stopped = false;
function checkpoint(mode) {
  try {
    const row = db.pragma('wal_checkpoint(' + mode + ')')[0];
    return row ?? { busy: 1, log: 0, checkpointed: 0 };
  } catch {
    return { busy: 1, log: 0, checkpointed: 0 };
  }
}
function tick() {
  timer = undefined;
  if (stopped) return;
  const state = checkpoint('PASSIVE');
  if (state.log > workerData.restartFrames) {
    parentPort.postMessage({ type: 'pause' });
    return;
  }
  timer = setTimeout(tick, workerData.intervalMs);
}
parentPort.on('message', (message) => {
  if (message.type === 'paused') {
    if (!stopped) checkpoint('RESTART');
    parentPort.postMessage({ type: 'resumed' });
    if (!stopped) timer = setTimeout(tick, workerData.intervalMs);
  } else if (message.type === 'stop') {
    stopped = true;
    if (timer !== undefined) clearTimeout(timer);
    db.close();
    parentPort.close();
  }
});
timer = setTimeout(tick, workerData.intervalMs);
`;

/**
 * Switches `database` to manual checkpoints and starts the worker that runs them.
 * @param database the store's connection, already in WAL mode on a file (not `:memory:`)
 */
export function startSqliteCheckpointer(
  database: BetterSqlite3.Database,
  options: CheckpointerOptions,
): Checkpointer {
  let stopping = false;
  let resume: (() => void) | undefined;
  const fallBack = (): void => {
    resume?.();
    resume = undefined;
    if (!stopping && database.open) database.pragma(`wal_autocheckpoint = ${SQLITE_DEFAULT_AUTOCHECKPOINT}`);
  };

  const restartFrames = options.restartFrames ?? 65_536;
  let worker: Worker;
  try {
    worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        driver: createRequire(import.meta.url).resolve('better-sqlite3'),
        filename: options.filename,
        synchronous: options.synchronous,
        busyTimeoutMs: 200,
        intervalMs: options.intervalMs ?? 50,
        restartFrames,
      },
    });
  } catch {
    return { stop: async () => {} };
  }
  // From here on the worker checkpoints. The WAL file keeps the size the bound needs (plus what is
  // committed while the pause is requested): regrowing it would allocate and zero every block again.
  database.pragma('wal_autocheckpoint = 0');
  const pageSize = database.pragma('page_size', { simple: true }) as number;
  database.pragma(`journal_size_limit = ${(restartFrames + 8192) * (pageSize + 24)}`);
  worker.unref();

  worker.on('message', (message: { type: string }) => {
    if (message.type === 'pause') {
      if (stopping) return;
      // Commits wait for the worker's answer: keep the process alive until it comes.
      worker.ref();
      options
        .pause(
          () =>
            new Promise<void>((resolve) => {
              resume = resolve;
              worker.postMessage({ type: 'paused' });
            }),
        )
        .catch(fallBack);
    } else if (message.type === 'resumed') {
      worker.unref();
      resume?.();
      resume = undefined;
    }
  });
  worker.on('error', fallBack);
  const exited = new Promise<void>((resolve) => {
    worker.on('exit', () => {
      fallBack();
      resolve();
    });
  });

  return {
    async stop() {
      if (stopping) return exited;
      stopping = true;
      resume?.();
      resume = undefined;
      // close() waits for the worker to close its connection: keep the process alive until it has.
      worker.ref();
      worker.postMessage({ type: 'stop' });
      await exited;
    },
  };
}
