/** API keys: create, find by hash, list, revoke, batched last-used times. */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ApiKeyRecord } from '../../core/ports.js';
import { type ContractContext, T0, unique } from './contract-context.js';

export function describeApiKeyCases(context: ContractContext): void {
  describe('API keys', () => {
    function keyFor(customerId: string | null, overrides: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
      return {
        id: unique('key'),
        customerId,
        hash: randomBytes(32).toString('hex'),
        prefix: 'tg_live_3xK9',
        name: 'default',
        owner: null,
        limits: null,
        createdAt: T0,
        revokedAt: null,
        lastUsedAt: null,
        ...overrides,
      };
    }

    it('creates a key and finds it by hash', async () => {
      const customer = await context.newCustomer();
      const key = keyFor(customer.id);
      await context.store.createApiKey(key);
      expect(await context.store.findApiKeyByHash(key.hash)).toEqual(key);
      expect(await context.store.findApiKeyByHash(randomBytes(32).toString('hex'))).toBeUndefined();
    });

    it('stores admin keys, which belong to no customer', async () => {
      const key = keyFor(null, { name: null });
      await context.store.createApiKey(key);
      expect(await context.store.findApiKeyByHash(key.hash)).toEqual(key);
    });

    it("lists a customer's keys, oldest first", async () => {
      const customer = await context.newCustomer();
      const older = keyFor(customer.id, { createdAt: T0 });
      const newer = keyFor(customer.id, { createdAt: T0 + 1 });
      await context.store.createApiKey(newer);
      await context.store.createApiKey(older);
      await context.store.createApiKey(keyFor((await context.newCustomer()).id));
      expect(await context.store.listApiKeys(customer.id)).toEqual([older, newer]);
    });

    it('rejects a duplicate hash with a ConflictError', async () => {
      const customer = await context.newCustomer();
      const key = keyFor(customer.id);
      await context.store.createApiKey(key);
      await expect(context.store.createApiKey({ ...key, id: unique('key') })).rejects.toMatchObject({
        name: 'ConflictError',
        field: 'hash',
      });
    });

    it('revokes a key, keeping the first revocation time, and answers undefined for unknown keys', async () => {
      const customer = await context.newCustomer();
      const key = keyFor(customer.id);
      await context.store.createApiKey(key);
      expect(await context.store.revokeApiKey(key.id, T0 + 100)).toEqual({ ...key, revokedAt: T0 + 100 });
      expect((await context.store.revokeApiKey(key.id, T0 + 200))?.revokedAt).toBe(T0 + 100);
      expect((await context.store.findApiKeyByHash(key.hash))?.revokedAt).toBe(T0 + 100);
      expect(await context.store.revokeApiKey(unique('key'), T0)).toBeUndefined();
    });

    it('stores many last-used times in one call and never moves one back', async () => {
      const customer = await context.newCustomer();
      const keys = [keyFor(customer.id), keyFor(customer.id), keyFor(customer.id, { lastUsedAt: T0 + 500 })];
      for (const key of keys) await context.store.createApiKey(key);
      await context.store.touchApiKeys(new Map());
      await context.store.touchApiKeys(
        new Map([
          [keys[0]!.id, T0 + 10],
          [keys[1]!.id, T0 + 20],
          [keys[2]!.id, T0 + 30],
          [unique('key'), T0 + 40],
        ]),
      );
      const stored = new Map(
        (await context.store.listApiKeys(customer.id)).map((key) => [key.id, key.lastUsedAt]),
      );
      expect(keys.map((key) => stored.get(key.id))).toEqual([T0 + 10, T0 + 20, T0 + 500]);
    });
  });
}
