/**
 * Drives a server with autocannon from this (the parent) process: a warm-up run, then the measured
 * run, 50 connections without pipelining. Each connection starts at a different key and then walks
 * through all of them, so concurrent requests belong to different customers, as with real traffic;
 * request buffers are built once per connection, keeping autocannon's own cost per request low.
 *
 * Servers that need a different request each time (signed webhook deliveries, batches with fresh
 * idempotency keys) pass `nextRequest` instead of keys: each connection then asks it for its next
 * request as it sends, and continues from the warm-up into the measured run where it left off, so no
 * request is sent twice unless the generator means it to be.
 *
 * Latency percentiles are computed from every response's exact time (autocannon's histogram rounds
 * to whole milliseconds). The server child is sampled before and after the measured run to report
 * how busy its core was, and this process's CPU tells whether autocannon itself was the limit.
 */
import autocannon from 'autocannon';
import { BENCH_ROUTE } from './bench-app.js';
import type { BenchChild } from './child-process.js';
import { type SampleDelta, sampleDelta } from './child-protocol.js';
import { busyCores, sampleMachine } from './machine-load.js';

export interface LoadOptions {
  warmupSeconds: number;
  measureSeconds: number;
  connections: number;
  /** API keys to send in X-API-Key, in rotation; none for the ungated route. */
  keys: readonly string[];
  /** Write a CPU profile of the server during the measured run to this file. */
  profileFile?: string;
  /** Path POSTed to; default the bench route `/work`. */
  path?: string;
  /**
   * The next request connection `connection` (0 .. connections - 1) sends, called once per request
   * as it is sent (and once for a request built but never sent when a run ends). Replaces `keys`.
   */
  nextRequest?: (connection: number) => NextRequest;
}

export interface NextRequest {
  headers: Record<string, string>;
  body?: string | Buffer;
}

export interface LoadResult {
  requestsPerSecond: number;
  /** Milliseconds. */
  latency: { p50: number; p90: number; p99: number; max: number };
  responses: number;
  non2xx: number;
  errors: number;
  seconds: number;
  server: SampleDelta;
  /** Share of one core autocannon used in this process. */
  clientCpu: number;
  /**
   * Cores' worth of CPU used on the machine by anything but the server child and autocannon (the
   * database server, other processes); null where /proc/stat is not available.
   */
  otherCpu: number | null;
}

export async function driveLoad(server: BenchChild, options: LoadOptions): Promise<LoadResult> {
  await runAutocannon(server.port, options, options.warmupSeconds);
  if (options.profileFile) await server.startProfile();
  const before = await server.sample();
  const machineBefore = sampleMachine();
  const clientBefore = process.cpuUsage();
  const startedAt = performance.now();
  const measured = await runAutocannon(server.port, options, options.measureSeconds);
  const elapsedMs = performance.now() - startedAt;
  const clientCpu = process.cpuUsage(clientBefore);
  const machine = busyCores(machineBefore, sampleMachine());
  const after = await server.sample();
  if (options.profileFile) await server.stopProfile(options.profileFile);
  const latencies = measured.latencies.subarray(0, measured.count).sort();
  const serverCpu = sampleDelta(before, after);
  const clientShare = (clientCpu.user + clientCpu.system) / 1000 / elapsedMs;
  return {
    requestsPerSecond: measured.result['2xx'] / measured.result.duration,
    latency: {
      p50: percentile(latencies, 0.5),
      p90: percentile(latencies, 0.9),
      p99: percentile(latencies, 0.99),
      max: latencies.length === 0 ? 0 : (latencies[latencies.length - 1] ?? 0),
    },
    responses: measured.result['2xx'] + measured.result.non2xx,
    non2xx: measured.result.non2xx,
    errors: measured.result.errors,
    seconds: measured.result.duration,
    server: serverCpu,
    clientCpu: clientShare,
    otherCpu: machine === null ? null : Math.max(0, machine - serverCpu.cpu - clientShare),
  };
}

interface Measured {
  /** Response times of 2xx responses, ms; the first `count` entries are filled. */
  latencies: Float64Array;
  count: number;
}

async function runAutocannon(
  port: number,
  options: LoadOptions,
  seconds: number,
): Promise<Measured & { result: autocannon.Result }> {
  const path = options.path ?? BENCH_ROUTE;
  const requests = options.keys.map((key) => ({
    method: 'POST' as const,
    path,
    headers: { 'x-api-key': key },
  }));
  const connections = options.connections;
  const { nextRequest } = options;
  let nextClient = 0;
  const measured: Measured = { latencies: new Float64Array(1 << 20), count: 0 };
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: `http://127.0.0.1:${port}${path}`,
        method: 'POST',
        connections,
        pipelining: 1,
        duration: seconds,
        // Without keys (the ungated route) autocannon repeats the url's request.
        ...(requests.length > 0 ? { requests: requests.slice(0, 1) } : {}),
        setupClient(client) {
          if (nextRequest) {
            const connection = nextClient++ % connections;
            client.setRequests([
              {
                method: 'POST',
                path,
                // Called as each request is built; the request autocannon sends is what it returns.
                setupRequest: (request) => ({ ...request, ...nextRequest(connection) }),
              },
            ]);
            return;
          }
          if (requests.length <= 1) return;
          // Connection i starts i/connections of the way through the keys.
          const offset = Math.floor((nextClient++ * requests.length) / connections) % requests.length;
          client.setRequests([...requests.slice(offset), ...requests.slice(0, offset)]);
        },
      },
      (error: unknown, done: autocannon.Result) => (error ? reject(error) : resolve(done)),
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode < 200 || statusCode >= 300) return;
      if (measured.count === measured.latencies.length) {
        const grown = new Float64Array(measured.latencies.length * 2);
        grown.set(measured.latencies);
        measured.latencies = grown;
      }
      measured.latencies[measured.count++] = responseTime;
    });
  });
  return { ...measured, result };
}

function percentile(sorted: Float64Array, fraction: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? 0;
}
