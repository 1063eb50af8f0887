/**
 * Grants as the engine runs them: loading a customer's grant book with the customer, making a grant
 * (checked, idempotent, its baseline read by the store under the counters' lock), revoking what is
 * unspent, and every grant's standing as of now. The rule itself is pure (grants.ts).
 */
import type { AccountAccess } from '../account.js';
import type { Catalog } from '../catalog/catalog.js';
import { type ErrorIssue, invalidRequest, TollgateError } from '../errors.js';
import { newId } from '../ids.js';
import type { Period } from '../periods.js';
import type { Customer, Store } from '../ports.js';
import { type Grant, type GrantBook, type GrantExpiry, type GrantStanding, grantPosition } from './grants.js';

/** Prefix of grant ids. */
export const GRANT_ID_PREFIX = 'tggrant';

export interface GrantInput {
  /** The operation whose units are granted; absent for credits. */
  operation?: string | null;
  /** Milli-credits, or units of the operation: a positive integer. */
  amount: number;
  /** `period`: until the current credit period ends; `until_used`: carried over until spent. */
  expires: GrantExpiry;
  /** Until-used grants only: a date after which it is no longer usable (through that date's period). */
  expiresAt?: number | null;
  /** A retry with the same key returns the first grant; a different grant with it is a conflict. */
  idempotencyKey: string;
  reason?: string | null;
  /** Who grants it (an admin key id, or a name), for the grant's row; the audit trail names it too. */
  createdBy?: string | null;
}

export interface GrantDependencies {
  store: Store;
  catalog: Catalog;
  now: () => number;
  /** The customer as cached (its `contract.grants` included). */
  getCustomer: (customerId: string) => Promise<Customer>;
  access: (customer: Customer) => AccountAccess;
  /** Waits for usage commits in flight, so standings count them. */
  drain: () => Promise<void>;
  invalidateCustomer: (customerId: string) => Promise<void>;
}

export interface GrantActions {
  grant(customerId: string, input: GrantInput): Promise<{ standing: GrantStanding; created: boolean }>;
  /** Every grant of the customer, oldest first, with what is used and left as of now. */
  grants(customerId: string): Promise<GrantStanding[]>;
  /** Takes back what is unspent of a grant (not_found for another customer's or unknown grant). */
  revokeGrant(customerId: string, grantId: string, revokedBy?: string | null): Promise<GrantStanding>;
}

/**
 * A customer's grants (as listed) with the counters their standing needs: of the periods since the
 * oldest grant, when one can still count in `period`. Undefined when it has none (no counter is read).
 */
export async function loadGrantBook(
  store: Store,
  customerId: string,
  grants: readonly Grant[],
  period: Period,
): Promise<GrantBook | undefined> {
  if (grants.length === 0) return undefined;
  return { grants, counters: await countersFor(store, customerId, grants, period) };
}

async function countersFor(store: Store, customerId: string, grants: readonly Grant[], period: Period) {
  // None can count in `period`: nothing to compute (a grant's expiry is at or before its start).
  if (grants.every((grant) => grant.expiresAt !== null && grant.expiresAt <= period.start)) return [];
  return everyCounter(store, customerId, grants);
}

/**
 * The counters of every period from the oldest grant on, expired grants included: a grant that has
 * expired since was spent before the others in the periods it shared with them, which decides what is
 * left of those.
 */
function everyCounter(store: Store, customerId: string, grants: readonly Grant[]) {
  const since = Math.min(...grants.map((grant) => grant.periodStart));
  const operations = [
    ...new Set(grants.flatMap((grant) => (grant.operation === null ? [] : [grant.operation]))),
  ];
  return store.getGrantCounters(customerId, since, operations);
}

export function createGrantActions(deps: GrantDependencies): GrantActions {
  const { store, catalog } = deps;

  /** The book read from the store now (not the cached one), with the counters of the current period. */
  async function freshStandings(customerId: string): Promise<{ standings: GrantStanding[]; period: Period }> {
    const customer = await deps.getCustomer(customerId);
    const { period } = deps.access(customer);
    await deps.drain();
    const grants = await store.listGrants(customerId);
    if (grants.length === 0) return { standings: [], period };
    const counters = await everyCounter(store, customerId, grants);
    return { standings: grantPosition({ grants, counters }, period).standings, period };
  }

  return {
    async grant(customerId, input) {
      const customer = await deps.getCustomer(customerId);
      const now = deps.now();
      const access = deps.access(customer);
      checkGrant(input, catalog, access, now);
      const operation = input.operation ?? null;
      const requested = {
        operation,
        amount: input.amount,
        expires: input.expires,
        expiresAt: input.expiresAt ?? null,
        reason: input.reason ?? null,
      };
      const result = await store.createGrant({
        id: newId(GRANT_ID_PREFIX, now),
        customerId,
        operation,
        amount: input.amount,
        expires: input.expires,
        expiresAt: input.expires === 'period' ? access.period.end : (input.expiresAt ?? null),
        periodStart: access.period.start,
        createdAt: now,
        createdBy: input.createdBy ?? null,
        reason: input.reason ?? null,
        idempotencyKey: input.idempotencyKey,
        requestHash: JSON.stringify(requested),
      });
      if (!result.created && result.requestHash !== JSON.stringify(requested)) {
        throw new TollgateError('conflict', 'This idempotency key was used for a different grant.', {
          grant_id: result.grant.id,
        });
      }
      if (result.created) await deps.invalidateCustomer(customerId);
      const { standings } = await freshStandings(customerId);
      const standing = standings.find((entry) => entry.grant.id === result.grant.id);
      if (standing === undefined) throw new Error(`grant ${result.grant.id} not found after it was made`);
      return { standing, created: result.created };
    },

    grants: async (customerId) => (await freshStandings(customerId)).standings,

    async revokeGrant(customerId, grantId, revokedBy = null) {
      const customer = await deps.getCustomer(customerId);
      const { period } = deps.access(customer);
      await deps.drain();
      const grants = await store.listGrants(customerId);
      const target = grants.find((grant) => grant.id === grantId);
      if (target === undefined)
        throw new TollgateError('not_found', `No grant '${grantId}' for this customer.`);
      const counters = await countersFor(store, customerId, grants, period);
      const revoked = await store.revokeGrant({
        customerId,
        grantId,
        periodStart: period.start,
        revokedAt: deps.now(),
        revokedBy,
        // The counter as read under lock: what is left of the grant at that count is what is taken back.
        unspent: (grant, used) => {
          const current = { credits: 0, operations: {} as Record<string, number> };
          if (grant.operation === null) current.credits = used;
          else current.operations[grant.operation] = used;
          const position = grantPosition({ grants, counters }, period, current);
          return position.standings.find((standing) => standing.grant.id === grant.id)?.remaining ?? 0;
        },
      });
      if (revoked === undefined)
        throw new TollgateError('not_found', `No grant '${grantId}' for this customer.`);
      await deps.invalidateCustomer(customerId);
      const { standings } = await freshStandings(customerId);
      const standing = standings.find((entry) => entry.grant.id === grantId);
      if (standing === undefined) throw new Error(`grant ${grantId} not found after its revoke`);
      return standing;
    },
  };
}

/** Refuses a grant that could not work, naming the field (nothing is written). */
function checkGrant(input: GrantInput, catalog: Catalog, access: AccountAccess, now: number): void {
  const issues: ErrorIssue[] = [];
  if (!Number.isSafeInteger(input.amount) || input.amount < 1) {
    issues.push({ path: 'amount', message: 'expected a positive integer' });
  }
  const operation = input.operation ?? null;
  if (operation !== null) {
    if (catalog.operations[operation] === undefined) {
      issues.push({ path: 'operation', message: `unknown operation '${operation}'` });
    } else if (access.plan.limits.operations[operation]?.windows.month === undefined) {
      issues.push({
        path: 'operation',
        message: `the ${access.plan.id} plan does not limit '${operation}' per month, so its units need no grant (grant credits instead)`,
      });
    }
  }
  if (input.expires !== 'period' && input.expires !== 'until_used') {
    issues.push({ path: 'expires', message: "expected 'period' or 'until_used'" });
  }
  const expiresAt = input.expiresAt ?? null;
  if (expiresAt !== null) {
    if (input.expires === 'period') {
      issues.push({
        path: 'expires_at',
        message: 'a period grant ends with the period; give expires_at only with until_used',
      });
    } else if (!Number.isSafeInteger(expiresAt) || expiresAt <= now) {
      issues.push({ path: 'expires_at', message: 'expected a time in the future' });
    }
  }
  if (
    typeof input.idempotencyKey !== 'string' ||
    input.idempotencyKey.length < 1 ||
    input.idempotencyKey.length > 200
  ) {
    issues.push({ path: 'idempotency_key', message: 'expected 1 to 200 characters' });
  }
  if (input.reason != null && input.reason.length > 500) {
    issues.push({ path: 'reason', message: 'expected at most 500 characters' });
  }
  if (issues.length > 0) throw invalidRequest(issues);
}
