/**
 * Shutdown as an orchestrator causes it. The steps' order, a second signal and a stuck step are
 * checked in process with a stand-in for `process`; then a real `tollgate serve` gets SIGTERM while
 * usage records are still arriving: it stops accepting connections, answers every request already
 * in flight, exits 0, and their usage is in the database afterwards.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliArgs } from '../cli/testing/cli-command.js';
import { createSqliteStore } from '../store/sqlite-store.js';
import { installGracefulShutdown, type SignalSource } from './shutdown.js';

function fakeProcess() {
  const emitter = new EventEmitter();
  const exits: number[] = [];
  const lines: string[] = [];
  return {
    source: emitter as unknown as SignalSource,
    signal: (name: NodeJS.Signals) => emitter.emit(name),
    exits,
    lines,
    exit: (code: number) => void exits.push(code),
    log: (line: string) => void lines.push(line),
  };
}

describe('installGracefulShutdown', () => {
  it('runs the steps in order on SIGTERM, each awaited, then exits 0', async () => {
    const host = fakeProcess();
    const order: string[] = [];
    let releaseHttp = () => {};
    const httpClosed = new Promise<void>((resolve) => (releaseHttp = resolve));
    const shutdown = installGracefulShutdown({
      ...host,
      steps: [
        { name: 'http', run: () => httpClosed.then(() => void order.push('http')) },
        { name: 'engine', run: async () => void order.push('engine') },
      ],
    });
    const done = shutdown.shutdown('SIGTERM');
    await new Promise((resolve) => setImmediate(resolve));
    // The engine is not closed while the HTTP server is still finishing requests.
    expect(order).toEqual([]);
    expect(host.exits).toEqual([]);
    releaseHttp();
    await expect(done).resolves.toBe(0);
    expect(order).toEqual(['http', 'engine']);
    expect(host.exits).toEqual([0]);
    shutdown.dispose();
  });

  it('exits 1 at once on a second signal while closing', async () => {
    const host = fakeProcess();
    const shutdown = installGracefulShutdown({
      ...host,
      steps: [{ name: 'http', run: () => new Promise<void>(() => {}) }],
    });
    host.signal('SIGINT');
    expect(host.exits).toEqual([]);
    host.signal('SIGINT');
    expect(host.exits).toEqual([1]);
    expect(host.lines.at(-1)).toBe('SIGINT again: exiting now.');
    shutdown.dispose();
  });

  it('exits 0 when every step succeeds and 1 when one fails, naming it', async () => {
    const ok = fakeProcess();
    const clean = installGracefulShutdown({ ...ok, steps: [{ name: 'engine', run: async () => {} }] });
    await expect(clean.shutdown('SIGINT')).resolves.toBe(0);
    expect(ok.exits).toEqual([0]);
    expect(ok.lines[0]).toContain('SIGINT: finishing in-flight requests');
    clean.dispose();

    const broken = fakeProcess();
    const failing = installGracefulShutdown({
      ...broken,
      steps: [
        {
          name: 'store',
          run: async () => {
            throw new Error('disk gone');
          },
        },
      ],
    });
    await expect(failing.shutdown('SIGTERM')).resolves.toBe(1);
    expect(broken.lines.at(-1)).toBe('shutdown: store failed: disk gone');
    failing.dispose();
  });

  it('gives up with exit 1 when the steps outlast the deadline', async () => {
    const host = fakeProcess();
    const stuck = installGracefulShutdown({
      ...host,
      timeoutMs: 20,
      steps: [{ name: 'http', run: () => new Promise<void>(() => {}) }],
    });
    await expect(stuck.shutdown('SIGTERM')).resolves.toBe(1);
    expect(host.lines.at(-1)).toContain('not done after 20 ms');
    stuck.dispose();
  });
});

function waitFor(
  child: ChildProcess,
  stream: 'stdout' | 'stderr',
  pattern: RegExp,
): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (chunk: Buffer) => {
      text += chunk.toString();
      const match = pattern.exec(text);
      if (match) {
        child[stream]?.off('data', onData);
        resolve(match);
      }
    };
    child[stream]?.on('data', onData);
    child.once('exit', (code) =>
      reject(new Error(`exited (${code}) before ${pattern}: ${text.slice(-500)}`)),
    );
  });
}

/** Opens a connection and sends a record request's headers and the first half of its body. */
function startSlowRecord(
  port: number,
  key: string,
  index: number,
): Promise<{ socket: Socket; rest: string }> {
  const body = JSON.stringify({ operation: 'capture', quantity: 1, idempotency_key: `slow-${index}` });
  const half = Math.floor(body.length / 2);
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(
        'POST /api/v1/usage/record HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n' +
          `Content-Type: application/json\r\nX-API-Key: ${key}\r\nContent-Length: ${body.length}\r\n\r\n` +
          body.slice(0, half),
      );
      resolve({ socket, rest: body.slice(half) });
    });
    socket.once('error', reject);
  });
}

function finishRecord(request: { socket: Socket; rest: string }): Promise<string> {
  return new Promise((resolve, reject) => {
    let response = '';
    request.socket.on('data', (chunk) => (response += chunk.toString()));
    request.socket.once('end', () => resolve(response));
    request.socket.once('error', reject);
    request.socket.write(request.rest);
  });
}

function refusesConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

describe('tollgate serve on SIGTERM', () => {
  it('finishes in-flight requests, commits their usage and exits 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-shutdown-'));
    const databaseUrl = `sqlite:${join(dir, 'tollgate.db')}`;
    const adminKey = 'shutdown-test-admin-key-0123';
    const child = spawn(process.execPath, cliArgs('serve'), {
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl,
        PORT: '0',
        TOLLGATE_ADMIN_KEY: adminKey,
        LOG_LEVEL: 'info',
      },
    });
    try {
      const listening = await waitFor(child, 'stdout', /listening on http:\/\/127\.0\.0\.1:(\d+)/);
      const port = Number(listening[1]);
      const created = await fetch(`http://127.0.0.1:${port}/api/v1/admin/customers`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ plan: 'pro' }),
      });
      expect(created.status).toBe(201);
      const { customer, api_key: issued } = (await created.json()) as {
        customer: { id: string };
        api_key: { key: string };
      };
      const apiKey = issued.key;

      // Three requests in flight: their headers are read (the server logs them), their bodies are not.
      const arrived = waitFor(child, 'stdout', /(?:"url":"\/api\/v1\/usage\/record"[\s\S]*){3}/);
      const slow = await Promise.all([0, 1, 2].map((index) => startSlowRecord(port, apiKey, index)));
      await arrived;

      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await waitFor(child, 'stderr', /SIGTERM: finishing in-flight/);
      // Stops accepting: poll briefly for the listening socket to close.
      let refused = false;
      for (let attempt = 0; attempt < 50 && !refused; attempt++) {
        refused = await refusesConnections(port);
        if (!refused) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(refused).toBe(true);

      const responses = await Promise.all(slow.map(finishRecord));
      for (const response of responses) expect(response).toMatch(/^HTTP\/1\.1 200 /);
      expect(await exited).toBe(0);

      const store = createSqliteStore({ filename: join(dir, 'tollgate.db') });
      try {
        const events = await store.listUsageEvents(customer.id, 0, Date.now() + 86_400_000, 10);
        expect(events.map((event) => event.idempotencyKey).sort()).toEqual(['slow-0', 'slow-1', 'slow-2']);
      } finally {
        await store.close();
      }
    } finally {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
