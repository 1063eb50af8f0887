/**
 * Runs the real `tollgate` command in a child process against a temporary SQLite database, and opens
 * the same database in the test to set things up and check what the command wrote.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoCatalog } from '../../core/catalog/demo-catalog.js';
import type { Store } from '../../core/ports.js';
import { createTollgate, type Tollgate } from '../../core/tollgate.js';
import { createMemoryCounters } from '../../counters/memory-counters.js';
import { createSqliteStore } from '../../store/sqlite-store.js';
import { cliArgs } from './cli-command.js';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliWorkspace {
  run(...args: string[]): Promise<CliResult>;
  /** The engine on the same database (memory counters), for setting up and checking. */
  tollgate: Tollgate;
  store: Store;
  close(): Promise<void>;
}

/** `env`: more of the command's environment (a Stripe to talk to, for instance). */
export async function openCliWorkspace(env: Record<string, string> = {}): Promise<CliWorkspace> {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-cli-'));
  const filename = join(dir, 'tollgate.db');
  const store = createSqliteStore({ filename });
  await store.migrate();
  const counters = createMemoryCounters();
  // keyCacheTtlMs 0: a revocation by the command is seen by the next authenticate here.
  const tollgate = createTollgate({ catalog: demoCatalog(), store, counters, keyCacheTtlMs: 0 });
  // The command's environment: this database, nothing else configured (no Redis, no catalog file).
  const commandEnv: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    DATABASE_URL: `sqlite:${filename}`,
    ...env,
  };
  return {
    tollgate,
    store,
    run: (...args) =>
      new Promise((resolve) => {
        const child = spawn(process.execPath, cliArgs(...args), { env: commandEnv });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk) => (stdout += chunk));
        child.stderr.on('data', (chunk) => (stderr += chunk));
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      }),
    async close() {
      await tollgate.close();
      await counters.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
