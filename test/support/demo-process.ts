/**
 * `tollgate start` (what `npm start` runs) as a child process on a test's own database, for tests that
 * read what the demo prints and run it: start, stop with Ctrl-C, start again on the same files.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';

import { cliArgs } from '../../src/cli/testing/cli-command.js';

/** The `tollgate` command as a shell prefix (the sources through tsx), for printed `npx tollgate` lines. */
export const cliCommand = [process.execPath, ...cliArgs()].join(' ');

/**
 * Waits until at least `seconds` are left in the machine clock's current minute. The demo is a real
 * process whose rate limits count whole minutes of that clock (it cannot be injected there), so a run
 * of requests expected to share "this minute" must not straddle a minute's end, wherever in the
 * minute the test happens to start.
 */
export async function clearOfMinuteEnd(seconds = 20): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < seconds * 1_000) await new Promise((resolve) => setTimeout(resolve, left + 100));
}

/** Runs a printed line through bash, without its trailing `# comment`. */
export function curl(line: string): string {
  return execFileSync('bash', ['-c', line.replace(/\s+#.*$/, '')], { encoding: 'utf8', timeout: 30_000 });
}

export interface DemoProcess {
  /** Everything printed since the last start, stdout and stderr. */
  output(): string;
  /** Milliseconds the last start took until its banner was complete. */
  startedInMs(): number;
  /** The first printed line matching `pattern`, trimmed. */
  printed(pattern: RegExp): string;
  start(): Promise<void>;
  /** Ctrl-C, and wait for the exit. */
  stop(): Promise<void>;
}

export function demoProcess(env: Record<string, string>): DemoProcess {
  let child: ChildProcess | null = null;
  let output = '';
  let startedInMs = 0;
  return {
    output: () => output,
    startedInMs: () => startedInMs,
    printed(pattern) {
      const line = output.split('\n').find((candidate) => pattern.test(candidate));
      if (!line) throw new Error(`the demo printed no line matching ${pattern}:\n${output}`);
      return line.trim();
    },
    async start() {
      output = '';
      const started = Date.now();
      const process_ = spawn(process.execPath, cliArgs('start'), {
        env: { ...process.env, PORT: '0', NODE_ENV: 'development', ...env },
      });
      child = process_;
      process_.stderr?.on('data', (chunk) => {
        output += chunk;
      });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no demo banner within 60 s:\n${output}`)), 60_000);
        process_.stdout?.on('data', (chunk) => {
          output += chunk;
          if (/webhooks -> /.test(output)) {
            clearTimeout(timer);
            resolve();
          }
        });
        process_.once('exit', (code) => reject(new Error(`demo exited (${code}): ${output}`)));
      });
      startedInMs = Date.now() - started;
    },
    async stop() {
      const running = child;
      if (!running || running.exitCode !== null) return;
      const exited = new Promise((resolve) => running.once('exit', resolve));
      running.kill('SIGINT');
      await exited;
    },
  };
}
