/**
 * Dashboard links and billing sessions: a link is used once, also when many exchanges race for it
 * over several store instances; expired, used and unknown tokens find nothing and change nothing;
 * a session ends with its expiry, its customer or its key.
 */
import { describe, expect, it } from 'vitest';
import type { DashboardToken } from '../../core/ports.js';
import { type ContractContext, T0, unique, withStoreInstances } from './contract-context.js';

const MINUTE = 60_000;

export function describeDashboardTokenCases(context: ContractContext): void {
  const token = (customerId: string, overrides: Partial<DashboardToken> = {}): DashboardToken => ({
    tokenHash: unique('hash'),
    customerId,
    kind: 'link',
    expiresAt: T0 + 10 * MINUTE,
    usedAt: null,
    returnUrl: 'https://app.example/settings',
    display: { embed: true, theme: { accent: '#0af', text: '#112233' } },
    apiKeyId: null,
    createdAt: T0,
    ...overrides,
  });

  describe('dashboard links and sessions', () => {
    it('uses a link once and returns it with its display', async () => {
      const { id } = await context.newCustomer();
      const link = token(id);
      await context.store.createDashboardToken(link);
      expect(await context.store.consumeDashboardLink(link.tokenHash, T0 + 1)).toEqual({
        ...link,
        usedAt: T0 + 1,
      });
      expect(await context.store.consumeDashboardLink(link.tokenHash, T0 + 2)).toBeUndefined();
    });

    it('finds nothing for an expired or unknown link, and a session is not a link', async () => {
      const { id } = await context.newCustomer();
      const link = token(id);
      const session = token(id, { kind: 'session' });
      await context.store.createDashboardToken(link);
      await context.store.createDashboardToken(session);
      expect(await context.store.consumeDashboardLink(link.tokenHash, link.expiresAt)).toBeUndefined();
      expect(await context.store.consumeDashboardLink(unique('hash'), T0)).toBeUndefined();
      expect(await context.store.consumeDashboardLink(session.tokenHash, T0)).toBeUndefined();
      // Nothing was written by the refusals: the link still works before its expiry.
      expect((await context.store.consumeDashboardLink(link.tokenHash, T0))?.usedAt).toBe(T0);
    });

    it('lets exactly one of 20 concurrent exchanges of a link win', async () => {
      const { id } = await context.newCustomer();
      await withStoreInstances(context, async (stores) => {
        const link = token(id);
        await context.store.createDashboardToken(link);
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, index) =>
            stores[index % stores.length]!.consumeDashboardLink(link.tokenHash, T0 + index),
          ),
        );
        expect(results.filter((result) => result !== undefined)).toHaveLength(1);
      });
    });

    it('finds a session until it expires, and never a link', async () => {
      const { id } = await context.newCustomer();
      const session = token(id, { kind: 'session', expiresAt: T0 + 60 * MINUTE });
      const link = token(id);
      await context.store.createDashboardToken(session);
      await context.store.createDashboardToken(link);
      expect(await context.store.findDashboardSession(session.tokenHash, T0)).toEqual(session);
      expect(await context.store.findDashboardSession(session.tokenHash, session.expiresAt)).toBeUndefined();
      expect(await context.store.findDashboardSession(link.tokenHash, T0)).toBeUndefined();
      expect(await context.store.findDashboardSession(unique('hash'), T0)).toBeUndefined();
    });

    it('ends a session when the key that opened it is revoked', async () => {
      const { id } = await context.newCustomer();
      const keyId = unique('key');
      await context.store.createApiKey({
        id: keyId,
        customerId: id,
        hash: unique('keyhash'),
        prefix: 'tg_live_abcd',
        name: null,
        createdAt: T0,
        revokedAt: null,
        lastUsedAt: null,
      });
      const session = token(id, { kind: 'session', apiKeyId: keyId });
      await context.store.createDashboardToken(session);
      expect(await context.store.findDashboardSession(session.tokenHash, T0)).toEqual(session);
      await context.store.revokeApiKey(keyId, T0 + 1);
      expect(await context.store.findDashboardSession(session.tokenHash, T0 + 2)).toBeUndefined();
    });

    it('refuses a token for an unknown customer', async () => {
      await expect(context.store.createDashboardToken(token(unique('cus')))).rejects.toThrow();
    });
  });
}
