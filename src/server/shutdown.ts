/**
 * Graceful shutdown for `tollgate serve`: on SIGTERM or SIGINT, run the closing steps in order (stop
 * accepting and finish in-flight requests, then flush pending usage commits and close the store and
 * counters), and exit 0. Orchestrators send SIGTERM before SIGKILL; anything acknowledged to a client
 * must be in the store by then, so every step is awaited, never fired and forgotten.
 *
 * A second signal, a failing step or the deadline passing exits 1 at once: an operator who presses
 * Ctrl-C twice means it, and a stuck close must not hold a deployment forever.
 */

export interface ShutdownStep {
  /** Named in the log line when it fails. */
  name: string;
  run(): Promise<void>;
}

/** The slice of `process` this uses, so tests can hand in their own. */
export interface SignalSource {
  once(signal: NodeJS.Signals, listener: () => void): unknown;
  removeListener(signal: NodeJS.Signals, listener: () => void): unknown;
}

export interface ShutdownOptions {
  /** Run in order, each awaited: e.g. `app.close()`, then `runtime.close()`. */
  steps: readonly ShutdownStep[];
  /** Longest the steps may take before exiting 1 anyway; default 30 s (Kubernetes' grace period). */
  timeoutMs?: number;
  signals?: readonly NodeJS.Signals[];
  /** Where progress is written; default stderr. */
  log?: (line: string) => void;
  exit?: (code: number) => void;
  source?: SignalSource;
}

export interface GracefulShutdown {
  /** Runs the steps as a signal would; resolves with the exit code it used. */
  shutdown(reason: string): Promise<number>;
  /** Stops listening for the signals (tests, or a server closed another way). */
  dispose(): void;
}

/**
 * @example
 * installGracefulShutdown({
 *   steps: [
 *     { name: 'http server', run: () => app.close() },
 *     { name: 'engine and store', run: () => runtime.close() },
 *   ],
 * });
 */
export function installGracefulShutdown(options: ShutdownOptions): GracefulShutdown {
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  const log = options.log ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const source: SignalSource = options.source ?? process;
  const timeoutMs = options.timeoutMs ?? 30_000;
  let running: Promise<number> | undefined;

  const finish = (code: number): number => {
    exit(code);
    return code;
  };

  async function runSteps(): Promise<number> {
    for (const step of options.steps) {
      try {
        await step.run();
      } catch (error) {
        log(`shutdown: ${step.name} failed: ${error instanceof Error ? error.message : String(error)}`);
        return 1;
      }
    }
    return 0;
  }

  function shutdown(reason: string): Promise<number> {
    if (running) {
      log(`${reason} again: exiting now.`);
      return Promise.resolve(finish(1));
    }
    log(`${reason}: finishing in-flight requests and pending commits...`);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<number>((resolve) => {
      timer = setTimeout(() => {
        log(`shutdown: not done after ${timeoutMs} ms, exiting anyway.`);
        resolve(1);
      }, timeoutMs);
      timer.unref();
    });
    running = Promise.race([runSteps(), deadline]).then((code) => {
      clearTimeout(timer);
      return finish(code);
    });
    return running;
  }

  const listeners = new Map<NodeJS.Signals, () => void>();
  const listen = (signal: NodeJS.Signals) => {
    const listener = () => {
      // Listen again at once: a second signal must reach us, not Node's default (exit without closing).
      listen(signal);
      void shutdown(signal);
    };
    listeners.set(signal, listener);
    source.once(signal, listener);
  };
  for (const signal of signals) listen(signal);

  return {
    shutdown,
    dispose() {
      for (const [signal, listener] of listeners) source.removeListener(signal, listener);
      listeners.clear();
    },
  };
}
