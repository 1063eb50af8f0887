/**
 * API keys: random, shown once, stored as a SHA-256 hash. A key is found by its hash (an index
 * lookup, so no secret is ever compared byte by byte), cached in memory so a request costs no
 * query, and its last-used time is written in batches, never once per request.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { newId, randomToken } from './ids.js';
import type { ApiKeyRecord, KeyLimits, Store } from './ports.js';

export const KEY_PREFIX_LENGTH = 12;

export interface IssuedKey {
  /** The full key: shown once, never stored. */
  key: string;
  record: ApiKeyRecord;
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** Makes a new key for a customer (or an admin key when customerId is null) without storing it. */
export function generateApiKey(
  customerId: string | null,
  now: number,
  name: string | null = null,
  team: { owner?: string | null; limits?: KeyLimits | null } = {},
): IssuedKey {
  const key = `${customerId === null ? 'tg_admin_' : 'tg_live_'}${randomToken(32)}`;
  return {
    key,
    record: {
      id: newId('key', now),
      customerId,
      hash: hashApiKey(key),
      prefix: key.slice(0, KEY_PREFIX_LENGTH),
      name,
      owner: team.owner ?? null,
      limits: team.limits ?? null,
      createdAt: now,
      revokedAt: null,
      lastUsedAt: null,
    },
  };
}

/** Compares two secrets in constant time (for a configured admin key). */
export function secretsEqual(a: string, b: string): boolean {
  const left = createHash('sha256').update(a).digest();
  const right = createHash('sha256').update(b).digest();
  return timingSafeEqual(left, right);
}

interface CachedKey {
  record: ApiKeyRecord | undefined;
  expiresAt: number;
}

export interface KeyCacheOptions {
  /**
   * How long a found key is trusted before it is read again. Changes and revocations made through the
   * engine reach other instances sooner, through the store's change feed; this bounds the rest.
   */
  ttlMs?: number;
  /** How long an unknown key is remembered as unknown. */
  negativeTtlMs?: number;
  maxEntries?: number;
}

/**
 * Resolves keys to records through a bounded in-memory cache, and batches last-used times. The cache
 * is keyed by the presented key (process memory only, like the request that carried it).
 */
export class ApiKeyResolver {
  private readonly cache = new Map<string, CachedKey>();
  private readonly lastUsed = new Map<string, number>();
  /** Records by id, for the gate to read a request's key limits without a query. */
  private readonly byId = new Map<string, CachedKey>();
  /** Bumped by every drop: a read that started before one must not cache what it read. */
  private drops = 0;
  readonly ttlMs: number;
  private readonly negativeTtlMs: number;
  private readonly maxEntries: number;

  constructor(
    private readonly store: Pick<Store, 'findApiKeyByHash' | 'getApiKey' | 'touchApiKeys'>,
    options: KeyCacheOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 30_000;
    this.negativeTtlMs = options.negativeTtlMs ?? 5_000;
    this.maxEntries = options.maxEntries ?? 100_000;
  }

  /** The active key record for `key`, or undefined when unknown or revoked. */
  async resolve(key: string, now: number): Promise<ApiKeyRecord | undefined> {
    // Cached by the presented key itself, so a hit costs no SHA-256; only the hash is ever stored.
    let entry = this.cache.get(key);
    if (!entry || entry.expiresAt <= now) {
      const generation = this.drops;
      const record = await this.store.findApiKeyByHash(hashApiKey(key));
      entry = { record, expiresAt: now + (record ? this.ttlMs : this.negativeTtlMs) };
      // A key dropped while it was read may have been read before its change committed.
      if (generation === this.drops) {
        if (this.cache.size >= this.maxEntries) this.cache.clear();
        this.cache.set(key, entry);
        if (record) this.remember(record, now);
      }
    }
    const record = entry.record;
    if (!record || record.revokedAt !== null) return undefined;
    this.lastUsed.set(record.id, now);
    return record;
  }

  /** A key by id as cached (fresh within the key TTL), or undefined. */
  cachedById(id: string, now: number): ApiKeyRecord | undefined {
    const entry = this.byId.get(id);
    return entry !== undefined && entry.expiresAt > now ? entry.record : undefined;
  }

  /** Caches a key by id (read by id, or just resolved). */
  remember(record: ApiKeyRecord, now: number): void {
    if (this.byId.size >= this.maxEntries) this.byId.clear();
    this.byId.set(record.id, { record, expiresAt: now + this.ttlMs });
  }

  /** Reads a key by id and caches it, unless it was dropped while it was read. */
  async readById(id: string, now: number): Promise<ApiKeyRecord | undefined> {
    const generation = this.drops;
    const record = await this.store.getApiKey(id);
    if (record && generation === this.drops) this.remember(record, now);
    return record;
  }

  /**
   * Forgets the cached keys of a customer, or the key with this id (an admin key has no customer):
   * a key changed or revoked here or, heard through the store's change feed, on another instance.
   * Walks the cache (about 13 ms when full, once per change; changes are rare admin actions), so a
   * request's lookup keeps its one map read and a miss writes no index (docs/decisions/015).
   */
  forget(id: string): void {
    this.drops += 1;
    for (const [key, entry] of this.cache) {
      if (entry.record !== undefined && (entry.record.customerId === id || entry.record.id === id)) {
        this.cache.delete(key);
      }
    }
    for (const [keyId, entry] of this.byId) {
      if (entry.record !== undefined && (entry.record.customerId === id || keyId === id)) {
        this.byId.delete(keyId);
      }
    }
  }

  /** Writes the batched last-used times. */
  async flushLastUsed(): Promise<void> {
    if (this.lastUsed.size === 0) return;
    const batch = new Map(this.lastUsed);
    this.lastUsed.clear();
    await this.store.touchApiKeys(batch);
  }
}
