/**
 * API keys as the engine runs them: authenticating a key, issuing, changing and revoking keys (team
 * keys carry an owner and limits of their own, see team-keys.ts), a customer's usage by key, and the
 * key lookups the gate needs (synchronous when cached, its hot path).
 */
import type { AccountAccess } from './account.js';
import { type ApiKeyResolver, generateApiKey, type IssuedKey, secretsEqual } from './api-keys.js';
import { invalidRequest, TollgateError } from './errors.js';
import type { ApiKeyRecord, Customer, KeyUsage, Store } from './ports.js';
import { type KeyChange, keyPatch } from './team-keys.js';
import type { Principal } from './tollgate.js';

export interface KeyDependencies {
  store: Store;
  keys: ApiKeyResolver;
  now: () => number;
  /** A configured admin key, accepted besides stored admin keys. */
  adminKey: string | null | undefined;
  loadCustomer: (customerId: string, at: number) => Customer | Promise<Customer>;
  access: (customer: Customer) => AccountAccess;
  /** Waits for usage commits in flight, so usage by key counts them. */
  drain: () => Promise<void>;
  /**
   * Drops a changed key's customer's cached keys (by key id for an admin key) here and on every
   * instance sharing the store; resolves once they all have (the engine's change feed).
   */
  publishKeyChange: (customerOrKeyId: string) => Promise<void>;
}

export interface KeyActions {
  authenticate(key: string): Promise<Principal | undefined>;
  issueApiKey(customerId: string | null, name?: string | null, team?: KeyChange): Promise<IssuedKey>;
  updateApiKey(keyId: string, change: KeyChange): Promise<{ before: ApiKeyRecord; after: ApiKeyRecord }>;
  usageByKey(customerId: string): Promise<{ periodStart: number; periodEnd: number; keys: KeyUsage[] }>;
  getApiKey(keyId: string): Promise<ApiKeyRecord>;
  revokeApiKey(keyId: string): Promise<ApiKeyRecord>;
  /** A key by id: from the resolver's cache (an authenticated key is there), else one read. */
  loadKey(keyId: string, at: number): ApiKeyRecord | Promise<ApiKeyRecord>;
  /** Milli-credits a key's events cost since `periodStart`, pending commits included. */
  keyCredits(customerId: string, keyId: string, periodStart: number): Promise<number>;
}

export function createKeyActions(deps: KeyDependencies): KeyActions {
  const { store, keys, now } = deps;

  function loadKey(keyId: string, at: number): ApiKeyRecord | Promise<ApiKeyRecord> {
    const cached = keys.cachedById(keyId, at);
    if (cached !== undefined) return cached;
    return keys.readById(keyId, at).then((record) => {
      if (!record) throw new TollgateError('not_found', `No key '${keyId}'.`);
      return record;
    });
  }

  async function keyCredits(customerId: string, keyId: string, periodStart: number): Promise<number> {
    await deps.drain();
    const usage = await store.sumUsageByKey(customerId, periodStart);
    return usage.find((row) => row.keyId === keyId)?.cost ?? 0;
  }

  return {
    loadKey,
    keyCredits,

    async authenticate(key) {
      if (typeof key !== 'string' || key.length === 0 || key.length > 200) return undefined;
      if (deps.adminKey && secretsEqual(key, deps.adminKey)) return { kind: 'admin', keyId: null };
      const record = await keys.resolve(key, now());
      if (!record) return undefined;
      return record.customerId === null
        ? { kind: 'admin', keyId: record.id }
        : { kind: 'customer', customerId: record.customerId, keyId: record.id };
    },

    async issueApiKey(customerId, name = null, team = {}) {
      if (customerId === null && (team.owner != null || team.limits != null)) {
        throw invalidRequest([{ path: 'limits', message: 'an admin key has no owner or limits' }]);
      }
      const patch = keyPatch(null, { ...team, name });
      if (customerId !== null) await deps.loadCustomer(customerId, now());
      const issued = generateApiKey(customerId, now(), patch.name ?? null, patch);
      await store.createApiKey(issued.record);
      return issued;
    },

    async updateApiKey(keyId, change) {
      const before = await store.getApiKey(keyId);
      if (!before) throw new TollgateError('not_found', `No key '${keyId}'.`);
      if (before.customerId === null && (change.owner != null || change.limits != null)) {
        throw invalidRequest([{ path: 'limits', message: 'an admin key has no owner or limits' }]);
      }
      const after = await store.updateApiKey(keyId, keyPatch(before.limits, change));
      if (!after) throw new TollgateError('not_found', `No key '${keyId}'.`);
      // Committed: every instance's next request obeys the new limits before the caller hears back.
      await deps.publishKeyChange(after.customerId ?? after.id);
      return { before, after };
    },

    async usageByKey(customerId) {
      const customer = await deps.loadCustomer(customerId, now());
      const access = deps.access(customer);
      await deps.drain();
      const usage = await store.sumUsageByKey(customerId, access.period.start);
      return { periodStart: access.period.start, periodEnd: access.period.end, keys: usage };
    },

    async getApiKey(keyId) {
      return loadKey(keyId, now());
    },

    async revokeApiKey(keyId) {
      const revoked = await store.revokeApiKey(keyId, now());
      if (!revoked) throw new TollgateError('not_found', `No key '${keyId}'.`);
      // Committed: the key is refused everywhere before the caller hears back.
      await deps.publishKeyChange(revoked.customerId ?? revoked.id);
      return revoked;
    },
  };
}
