/**
 * The key resolver's drops: a changed key's customer loses its cached keys here (another customer's
 * stay cached, no query), an admin key is dropped by its id, and a read in flight when a drop comes
 * is served but not cached (it may have been read before the change committed).
 */
import { describe, expect, it } from 'vitest';
import { ApiKeyResolver, generateApiKey } from './api-keys.js';
import type { ApiKeyRecord, Store } from './ports.js';

const T0 = Date.UTC(2026, 0, 1);

function keyStore() {
  const byHash = new Map<string, ApiKeyRecord>();
  let reads = 0;
  let hold: Promise<void> | null = null;
  const store: Pick<Store, 'findApiKeyByHash' | 'getApiKey' | 'touchApiKeys'> = {
    async findApiKeyByHash(hash) {
      reads += 1;
      const record = byHash.get(hash);
      if (hold) await hold;
      return record;
    },
    async getApiKey(id) {
      reads += 1;
      return [...byHash.values()].find((record) => record.id === id);
    },
    async touchApiKeys() {},
  };
  return {
    store,
    reads: () => reads,
    issue(customerId: string | null) {
      const issued = generateApiKey(customerId, T0);
      byHash.set(issued.record.hash, issued.record);
      return issued;
    },
    change(record: ApiKeyRecord, patch: Partial<ApiKeyRecord>) {
      byHash.set(record.hash, { ...record, ...patch });
    },
    holdReads(): () => void {
      let release = () => {};
      hold = new Promise((resolve) => {
        release = () => {
          hold = null;
          resolve();
        };
      });
      return release;
    },
  };
}

describe('ApiKeyResolver drops', () => {
  it("drops a customer's keys and no one else's", async () => {
    const fake = keyStore();
    const keys = new ApiKeyResolver(fake.store);
    const mine = fake.issue('tgcus_a');
    const mine2 = fake.issue('tgcus_a');
    const theirs = fake.issue('tgcus_b');
    for (const issued of [mine, mine2, theirs]) await keys.resolve(issued.key, T0);
    expect(fake.reads()).toBe(3);

    fake.change(mine.record, { revokedAt: T0 + 1 });
    keys.forget('tgcus_a');
    expect(keys.cachedById(mine.record.id, T0)).toBeUndefined();
    expect(keys.cachedById(theirs.record.id, T0)).toEqual(theirs.record);
    expect(await keys.resolve(mine.key, T0)).toBeUndefined();
    expect(await keys.resolve(mine2.key, T0)).toEqual(mine2.record);
    expect(await keys.resolve(theirs.key, T0)).toEqual(theirs.record);
    // The two keys of the dropped customer were read again; the other customer's was not.
    expect(fake.reads()).toBe(5);
  });

  it('drops an admin key by its id', async () => {
    const fake = keyStore();
    const keys = new ApiKeyResolver(fake.store);
    const admin = fake.issue(null);
    const other = fake.issue(null);
    await keys.resolve(admin.key, T0);
    await keys.resolve(other.key, T0);
    fake.change(admin.record, { revokedAt: T0 + 1 });
    keys.forget(admin.record.id);
    expect(await keys.resolve(admin.key, T0)).toBeUndefined();
    expect(keys.cachedById(other.record.id, T0)).toEqual(other.record);
  });

  it('does not cache a key read while a drop came', async () => {
    const fake = keyStore();
    const keys = new ApiKeyResolver(fake.store);
    const issued = fake.issue('tgcus_a');
    const release = fake.holdReads();
    const inFlight = keys.resolve(issued.key, T0);
    // The read has the old record; the change commits and is dropped before the read returns.
    await Promise.resolve();
    fake.change(issued.record, { revokedAt: T0 + 1 });
    keys.forget('tgcus_a');
    release();
    expect(await inFlight).toEqual(issued.record);
    expect(keys.cachedById(issued.record.id, T0)).toBeUndefined();
    expect(await keys.resolve(issued.key, T0)).toBeUndefined();
  });
});
