/**
 * `Idempotency-Key` replay: the first response to a key is stored; the same key with the same request
 * replays it (`Idempotent-Replayed: true`), with different parameters it is a 400 `idempotency_error`,
 * and while the first is still running a 409.
 */
import { idempotencyInProgress, idempotencyMismatch } from './errors.js';

export interface StoredResponse {
  status: number;
  body: string;
  headers: Record<string, string>;
}

interface Entry {
  fingerprint: string;
  response: StoredResponse | undefined;
  createdAt: number;
}

/** Stripe keeps keys for 24 hours. */
const TTL_MS = 24 * 60 * 60 * 1000;

export class IdempotencyCache {
  private entries = new Map<string, Entry>();

  /** Returns the stored response to replay, or undefined when the caller should run the request. */
  begin(key: string, fingerprint: string): StoredResponse | undefined {
    this.expire();
    const entry = this.entries.get(key);
    if (entry === undefined) {
      this.entries.set(key, { fingerprint, response: undefined, createdAt: Date.now() });
      return undefined;
    }
    if (entry.fingerprint !== fingerprint) throw idempotencyMismatch(key);
    if (entry.response === undefined) throw idempotencyInProgress();
    return entry.response;
  }

  complete(key: string, response: StoredResponse): void {
    const entry = this.entries.get(key);
    if (entry) entry.response = response;
  }

  /** Forgets a key whose request did not run (a fault answered instead), so a retry executes it. */
  abandon(key: string): void {
    const entry = this.entries.get(key);
    if (entry && entry.response === undefined) this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }

  private expire(): void {
    const cutoff = Date.now() - TTL_MS;
    for (const [key, entry] of this.entries) {
      if (entry.createdAt < cutoff) this.entries.delete(key);
    }
  }
}

/** The request identity a key is bound to: method, path and parameters in a stable order. */
export function fingerprintOf(method: string, path: string, params: unknown): string {
  return `${method} ${path} ${stableJson(params)}`;
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, item]) => `${JSON.stringify(key)}:${stableJson(item)}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
