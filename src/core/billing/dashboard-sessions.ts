/**
 * Browser access to the billing page without an API key in the browser. The app (holding the key)
 * asks for a one-time link; the page exchanges the link's token once for a billing session, a bearer
 * token that reaches only the customer's own billing routes, for an hour. Tokens are random (32
 * bytes), shown once and stored as their SHA-256 only, like API keys.
 *
 * @example
 * const sessions = createDashboardSessions({ store, clock });
 * const link = await sessions.createLink('cus_1', 'key_1', { returnUrl: null, display: { embed: false, theme: null } });
 * const session = await sessions.exchange(link.token); // once; a second exchange is undefined
 */
import { randomBytes } from 'node:crypto';
import { hashApiKey } from '../api-keys.js';
import type { Clock } from '../clock.js';
import type { DashboardDisplay, DashboardToken, Store } from '../ports.js';

export const DASHBOARD_LINK_PREFIX = 'tgl_';
export const BILLING_SESSION_PREFIX = 'tgs_';

export interface DashboardSessionsOptions {
  store: Store;
  clock: Clock;
  /** How long a link can be exchanged; default 10 minutes. */
  linkTtlMs?: number;
  /** How long a billing session lasts; default 60 minutes. */
  sessionTtlMs?: number;
}

export interface DashboardLinkRequest {
  returnUrl: string | null;
  display: DashboardDisplay;
}

/** A token shown once, with the stored record it belongs to. */
export interface IssuedDashboardToken {
  token: string;
  record: DashboardToken;
}

export interface DashboardSessions {
  /** A new one-time link for the customer; `apiKeyId` is the key that asked (its revocation ends the sessions). */
  createLink(
    customerId: string,
    apiKeyId: string | null,
    request: DashboardLinkRequest,
  ): Promise<IssuedDashboardToken>;
  /** Exchanges a link once for a session; undefined (nothing written) for a used, expired or unknown link. */
  exchange(linkToken: string): Promise<IssuedDashboardToken | undefined>;
  /** The live session of a `tgs_` token, or undefined when unknown, expired, or its customer or key is gone. */
  resolve(sessionToken: string): Promise<DashboardToken | undefined>;
}

const newToken = (prefix: string): string => `${prefix}${randomBytes(32).toString('base64url')}`;

export function createDashboardSessions(options: DashboardSessionsOptions): DashboardSessions {
  const { store, clock } = options;
  const linkTtlMs = options.linkTtlMs ?? 10 * 60_000;
  const sessionTtlMs = options.sessionTtlMs ?? 60 * 60_000;

  async function issue(token: string, record: DashboardToken): Promise<IssuedDashboardToken> {
    await store.createDashboardToken(record);
    return { token, record };
  }

  return {
    createLink(customerId, apiKeyId, request) {
      const now = clock.now();
      const token = newToken(DASHBOARD_LINK_PREFIX);
      return issue(token, {
        tokenHash: hashApiKey(token),
        customerId,
        kind: 'link',
        expiresAt: now + linkTtlMs,
        usedAt: null,
        returnUrl: request.returnUrl,
        display: request.display,
        apiKeyId,
        createdAt: now,
      });
    },

    async exchange(linkToken) {
      if (!linkToken.startsWith(DASHBOARD_LINK_PREFIX)) return undefined;
      const now = clock.now();
      const link = await store.consumeDashboardLink(hashApiKey(linkToken), now);
      if (!link) return undefined;
      const token = newToken(BILLING_SESSION_PREFIX);
      return issue(token, {
        ...link,
        tokenHash: hashApiKey(token),
        kind: 'session',
        expiresAt: now + sessionTtlMs,
        usedAt: null,
        createdAt: now,
      });
    },

    async resolve(sessionToken) {
      if (!sessionToken.startsWith(BILLING_SESSION_PREFIX)) return undefined;
      return store.findDashboardSession(hashApiKey(sessionToken), clock.now());
    },
  };
}
