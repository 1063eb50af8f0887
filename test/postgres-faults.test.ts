/**
 * PostgreSQL failing under a real `tollgate serve` process, while usage records keep arriving:
 * 1. its backends are terminated (`pg_terminate_backend`, only this instance's, found by
 *    application_name: the cluster is shared and keeps running);
 * 2. the database becomes unreachable for a while (a TCP proxy between the service and PostgreSQL
 *    refuses and cuts connections), then reachable again.
 * Every answer is 200 or 503 (`store_unavailable`), never anything else; `/ready` answers 503 during
 * the outage and 200 after it; the same process serves again without a restart; and every usage
 * event answered 200 is in the database.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliArgs } from '../src/cli/testing/cli-command.js';
import type { Store } from '../src/core/ports.js';
import { createPostgresStore } from '../src/store/postgres-store.js';
import { postgresUrl } from './support/backends.js';

const ADMIN_KEY = 'postgres-faults-admin-key-0123';

/** A TCP proxy to PostgreSQL that can be cut (connections destroyed, new ones refused) and restored. */
class CuttableProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  async open(port = 0): Promise<void> {
    this.server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => {});
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => this.server?.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** Cuts every connection and refuses new ones until `open` is called again (same port). */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }
}

function waitFor(child: ChildProcess, pattern: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let text = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const match = pattern.exec(text);
      if (match) resolve(match);
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
    });
    child.once('exit', (code) => reject(new Error(`exited (${code}): ${text.slice(-1000)}`)));
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('tollgate serve when PostgreSQL fails under load', () => {
  const schema = `faults_${randomBytes(5).toString('hex')}`;
  const application = `tollgate_${schema}`;
  const proxy = new CuttableProxy({
    host: new URL(postgresUrl).hostname,
    port: Number(new URL(postgresUrl).port || 5432),
  });
  const admin = new pg.Client({ connectionString: postgresUrl });
  let child: ChildProcess;
  let base = '';
  let apiKey = '';
  let store: Store;
  /** The service's output, shown when it dies. */
  let output = '';

  beforeAll(async () => {
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    await proxy.open();
    const url = new URL(postgresUrl);
    url.host = `127.0.0.1:${proxy.port}`;
    url.searchParams.set('options', `-c search_path=${schema}`);
    url.searchParams.set('application_name', application);
    child = spawn(process.execPath, cliArgs('serve'), {
      env: { ...process.env, DATABASE_URL: url.toString(), PORT: '0', TOLLGATE_ADMIN_KEY: ADMIN_KEY },
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4000);
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4000);
    });
    child.once('exit', (code, signal) => {
      output += `\n[exited ${code ?? signal}]`;
    });
    const listening = await waitFor(child, /listening on (http:\/\/127\.0\.0\.1:\d+)/);
    base = listening[1] ?? '';
    const created = await fetch(`${base}/api/v1/admin/customers`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ plan: 'enterprise' }),
    });
    expect(created.status).toBe(201);
    apiKey = ((await created.json()) as { api_key: { key: string } }).api_key.key;
    store = createPostgresStore({ connectionString: postgresUrl, schema });
  }, 60_000);

  afterAll(async () => {
    child?.kill('SIGKILL');
    await store?.close();
    await proxy.cut().catch(() => {});
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => {});
    await admin.end();
  });

  /** Keeps `connections` record requests going until `stop()`, each with its own idempotency key. */
  function load(connections: number) {
    const answers: Array<{ key: string; status: number; error: string | null }> = [];
    let running = true;
    let next = 0;
    const loops = Array.from({ length: connections }, async () => {
      while (running) {
        next += 1;
        const key = `fault-${next}`;
        try {
          const response = await fetch(`${base}/api/v1/usage/record`, {
            method: 'POST',
            headers: { 'x-api-key': apiKey, 'content-type': 'application/json' },
            body: JSON.stringify({ operation: 'capture', idempotency_key: key }),
          });
          const body = (await response.json()) as { error?: string };
          answers.push({ key, status: response.status, error: body.error ?? null });
        } catch (error) {
          answers.push({ key, status: 0, error: String(error) });
        }
      }
    });
    return {
      answers,
      async stop() {
        running = false;
        await Promise.all(loops);
        return answers;
      },
    };
  }

  const ready = async () => {
    try {
      return (await fetch(`${base}/ready`)).status;
    } catch (error) {
      throw new Error(`the service does not answer: ${String(error)}\n${output}`);
    }
  };

  /** Every answer 200 or 503 store_unavailable; every 200 committed. */
  async function checkAnswers(answers: ReadonlyArray<{ key: string; status: number; error: string | null }>) {
    const unexpected = answers.filter(
      (answer) => answer.status !== 200 && !(answer.status === 503 && answer.error === 'store_unavailable'),
    );
    expect(unexpected.slice(0, 5)).toEqual([]);
    const customer = (await store.listCustomers({ limit: 1 })).customers[0];
    const acknowledged = answers.filter((answer) => answer.status === 200);
    for (const answer of acknowledged) {
      expect(await store.findUsageEvent(customer?.id ?? '', answer.key), answer.key).toBeDefined();
    }
    return { acknowledged: acknowledged.length, refused: answers.length - acknowledged.length };
  }

  it('answers 503 while its backends are terminated, never 200 without a commit, and recovers', async () => {
    const running = load(8);
    await sleep(300);
    for (let round = 0; round < 5; round += 1) {
      await admin.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1',
        [application],
      );
      await sleep(150);
    }
    await sleep(300);
    const answers = await running.stop();
    const { acknowledged, refused } = await checkAnswers(answers);
    expect(refused).toBeGreaterThan(0);
    expect(acknowledged).toBeGreaterThan(0);
    // The same process serves again.
    expect(await ready()).toBe(200);
    const again = load(2);
    await sleep(300);
    const after = await checkAnswers(await again.stop());
    expect(after.refused).toBe(0);
    expect(after.acknowledged).toBeGreaterThan(0);
  }, 30_000);

  it('answers /ready 503 while PostgreSQL is unreachable, and 200 again once it is back', async () => {
    const running = load(4);
    await sleep(300);
    await proxy.cut();
    const started = performance.now();
    const duringOutage: number[] = [];
    while (performance.now() - started < 1500) {
      duringOutage.push(await ready());
      await sleep(100);
    }
    await proxy.open(proxy.port);
    let recoveredAfter = Number.POSITIVE_INFINITY;
    const reopened = performance.now();
    for (let attempt = 0; attempt < 100; attempt += 1) {
      if ((await ready()) === 200) {
        recoveredAfter = performance.now() - reopened;
        break;
      }
      await sleep(100);
    }
    await sleep(300);
    const answers = await running.stop();
    expect(duringOutage.every((status) => status === 503)).toBe(true);
    expect(recoveredAfter).toBeLessThan(5000);
    const { acknowledged, refused } = await checkAnswers(answers);
    expect(refused).toBeGreaterThan(0);
    expect(acknowledged).toBeGreaterThan(0);
    // Served after the outage, without a restart: the last answers are 200s.
    expect(answers.slice(-4).every((answer) => answer.status === 200)).toBe(true);
  }, 30_000);
});
