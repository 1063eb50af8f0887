/**
 * The `tollgate` command as a user runs it: a real process, its output and exit codes.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { cliArgs } from './testing/cli-command.js';

function run(args: string[], env: Record<string, string> = {}, untilLine?: RegExp) {
  return new Promise<{ code: number | null; stdout: string; stderr: string; kill: () => void }>((resolve) => {
    const child = spawn(process.execPath, cliArgs(...args), { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    const kill = () => child.kill('SIGTERM');
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      if (untilLine?.test(stdout)) resolve({ code: null, stdout, stderr, kill });
    });
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('exit', (code) => resolve({ code, stdout, stderr, kill }));
  });
}

describe('tollgate command', () => {
  it('lists its commands in --help', async () => {
    const result = await run(['--help']);
    expect(result.code).toBe(0);
    for (const command of ['start', 'serve', 'migrate', 'emulator']) expect(result.stdout).toContain(command);
  });

  it('prints the package version for --version and -V', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    for (const flag of ['--version', '-V']) {
      const result = await run([flag]);
      expect(result.code).toBe(0);
      expect(result.stdout).toBe(`${version}\n`);
    }
  });

  it('migrates a fresh SQLite database and says so', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-cli-'));
    try {
      const result = await run(['migrate'], { DATABASE_URL: `sqlite:${join(dir, 'x.db')}` });
      expect(result.stdout).toContain('Database schema is up to date.');
      expect(result.code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stops on invalid configuration with one line per problem and no stack trace', async () => {
    const result = await run(['migrate'], { PORT: 'eighty', REDIS_URL: 'nope' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('PORT:');
    expect(result.stderr).toContain('REDIS_URL:');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('runs the Stripe emulator standalone, and the official SDK talks to it', async () => {
    const result = await run(['emulator', '--port', '0'], {}, /STRIPE_WEBHOOK_SECRET=whsec_\w+/);
    try {
      const url = /listening on (http:\/\/[\d.]+:(\d+))/.exec(result.stdout);
      const key = /STRIPE_SECRET_KEY=(sk_test_\w+)/.exec(result.stdout)?.[1];
      expect(url).not.toBeNull();
      const stripe = new Stripe(key ?? '', { host: '127.0.0.1', port: Number(url?.[2]), protocol: 'http' });
      const customer = await stripe.customers.create({ email: 'cli@example.com' });
      expect(customer).toMatchObject({ object: 'customer', email: 'cli@example.com' });
    } finally {
      result.kill();
    }
  });

  it('refuses a bad port with a clear message', async () => {
    const result = await run(['emulator', '--port', 'abc']);
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe("tollgate: --port: expected a port number, got 'abc'");
  });

  it('stops before starting anything when the port is taken, naming PORT and --port', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = String((taken.address() as { port: number }).port);
    try {
      const dir = mkdtempSync(join(tmpdir(), 'tollgate-cli-'));
      const result = await run(['start', '--port', port], { DATABASE_URL: `sqlite:${join(dir, 'x.db')}` });
      rmSync(dir, { recursive: true, force: true });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`PORT: ${port} on 127.0.0.1 is already in use`);
      expect(result.stderr).toContain(`--port ${Number(port) + 1}`);
      expect(result.stderr).not.toContain('emulator');
      expect(result.stderr).not.toContain('EADDRINUSE');
    } finally {
      taken.close();
    }
  });

  it('refuses a DATABASE_URL that is no database, creating nothing, and names an unreachable one first', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-cli-'));
    try {
      const typo = spawn(process.execPath, cliArgs('serve'), {
        env: { ...process.env, DATABASE_URL: 'not a url' },
      });
      let stderr = '';
      typo.stderr.on('data', (chunk) => (stderr += chunk));
      const code = await new Promise((resolve) => typo.on('exit', resolve));
      expect(code).toBe(2);
      expect(stderr).toContain('DATABASE_URL: expected sqlite:<file>');
      expect(existsSync('not a url')).toBe(false);

      const down = await run(['serve', '--port', '0'], {
        DATABASE_URL: 'postgres://postgres@127.0.0.1:1/test',
      });
      expect(down.code).toBe(2);
      expect(down.stderr).toMatch(/DATABASE_URL: the database could not be opened \(.*ECONNREFUSED/);
      expect(down.stderr).not.toContain('emulator');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
