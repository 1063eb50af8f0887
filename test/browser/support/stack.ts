/**
 * `npm start`'s stack for browser tests: the demo service (`tollgate start`) on a temporary SQLite
 * file and a free port, with the in-process Stripe emulator on a test clock starting on a fixed date.
 * Returns the URLs and keys
 * it printed and a few calls a test makes as "the app" or "the operator".
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliArgs } from '../../../src/cli/testing/cli-command.js';

export interface Stack {
  /** e.g. http://localhost:41234 */
  base: string;
  adminKey: string;
  /** The demo customer's key and id (free plan). */
  customerKey: string;
  customerId: string;
  /** The in-process Stripe emulator (hosted Checkout, invoice and Portal pages live here). */
  emulatorUrl: string;
  /** What the service printed so far (for failure messages). */
  output(): string;
  /** Calls the API; throws with the status and body unless the answer is 2xx. */
  api<T = Record<string, unknown>>(
    path: string,
    options?: { key?: string; method?: string; body?: unknown },
  ): Promise<T>;
  /** A new customer with its first key (created with the admin key). */
  createCustomer(input: {
    name: string;
    email?: string;
    plan?: string;
  }): Promise<{ id: string; key: string }>;
  /** A one-time billing page link, as the app asks for it with the customer's key. */
  dashboardLink(customerKey: string, body?: Record<string, unknown>): Promise<string>;
  /** Moves the Stripe test clock; resolves once the webhooks it caused are applied. */
  advanceClock(seconds: number): Promise<void>;
  /**
   * Ctrl-C, then `npm start` again on the same database and files, as a user restarts the demo: the
   * new stack (a new port) is returned and this one is done.
   */
  restart(): Promise<Stack>;
  stop(): Promise<void>;
}

export async function startStack(
  suite: string,
  env: Record<string, string> = {},
  existingDir?: string,
): Promise<Stack> {
  const dir = existingDir ?? mkdtempSync(join(tmpdir(), `tollgate-${suite}-`));
  const child: ChildProcess = spawn(process.execPath, cliArgs('start'), {
    env: {
      ...process.env,
      PORT: '0',
      DATABASE_URL: `sqlite:${join(dir, 'stack.db')}`,
      NODE_ENV: 'development',
      // Billing time starts on a fixed day (a month end), so what the pages show never depends on today.
      TOLLGATE_DEMO_CLOCK_START: '2027-01-31T10:00:00Z',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the stack did not start within 90 s:\n${output}`)),
      90_000,
    );
    const check = () => {
      if (/webhooks -> /.test(output)) {
        clearTimeout(timer);
        child.stdout?.off('data', check);
        resolve();
      }
    };
    child.stdout?.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the stack exited (${code}):\n${output}`));
    });
  });

  const find = (pattern: RegExp): string => {
    const match = pattern.exec(output);
    if (!match?.[1]) throw new Error(`the stack printed nothing matching ${pattern}:\n${output}`);
    return match[1];
  };
  const base = find(/Tollgate demo running at (http:\/\/\S+)/);
  const adminKey = find(/admin key:\s+(tg_admin_\w+)/);
  const customerKey = find(/demo customer key:\s+(tg_live_\w+)/);
  const customerId = find(/\(customer (\S+), plan/);
  const emulatorUrl = find(/in-process emulator at (http:\/\/[^,\s]+)/);

  async function api<T>(path: string, options: { key?: string; method?: string; body?: unknown } = {}) {
    const response = await fetch(base + path, {
      method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
      headers: {
        ...(options.key ? { 'X-API-Key': options.key } : {}),
        ...(options.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
      },
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    });
    const text = await response.text();
    if (!response.ok)
      throw new Error(`${options.method ?? 'GET'} ${path} answered ${response.status}: ${text}`);
    return (text ? JSON.parse(text) : null) as T;
  }

  let stopped = false;
  const halt = async (signal: NodeJS.Signals) => {
    if (child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
    if (child.exitCode === null) child.kill('SIGKILL');
  };
  return {
    base,
    adminKey,
    customerKey,
    customerId,
    emulatorUrl,
    output: () => output,
    api,
    async createCustomer(input) {
      const created = await api<{ customer: { id: string }; api_key: { key: string } }>(
        '/api/v1/admin/customers',
        { key: adminKey, body: input },
      );
      return { id: created.customer.id, key: created.api_key.key };
    },
    async dashboardLink(key, body = {}) {
      const link = await api<{ url: string }>('/api/v1/billing/dashboard-link', { key, body });
      return link.url;
    },
    async advanceClock(seconds) {
      const result = await api<{ pending: string[] }>('/api/v1/admin/clock/advance', {
        key: adminKey,
        body: { seconds },
      });
      if (result.pending.length > 0) throw new Error(`events still pending: ${result.pending.join(', ')}`);
    },
    async restart() {
      await halt('SIGINT');
      stopped = true;
      return startStack(suite, env, dir);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await halt('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
