/**
 * Overrides as the engine runs them: listing a customer's, setting and removing some (checked and
 * audited in one store transaction, see override-changes.ts), then invalidating the customer so every
 * instance's next request obeys them.
 */
import { resolveAccess } from '../account.js';
import type { Catalog } from '../catalog/catalog.js';
import { TollgateError } from '../errors.js';
import type { Customer, OverrideChangeResult, Store } from '../ports.js';
import { checkRemovableKey, type OverrideInput, overrideAudit, overridesToSet } from './override-changes.js';
import type { CustomerOverride } from './overrides.js';

export interface OverrideDependencies {
  store: Store;
  catalog: Catalog;
  now: () => number;
  /** The customer as cached, at billing time `at`. */
  loadCustomer: (customerId: string, at: number) => Customer | Promise<Customer>;
  gracePeriodMs: number;
  invalidateCustomer: (customerId: string) => Promise<void>;
}

export interface OverrideActions {
  listOverrides(customerId: string): Promise<CustomerOverride[]>;
  setOverrides(customerId: string, input: OverrideInput, actor: string): Promise<OverrideChangeResult>;
  removeOverrides(
    customerId: string,
    keys: readonly string[] | 'all',
    actor: string,
    reason?: string | null,
  ): Promise<OverrideChangeResult>;
}

export function createOverrideActions(deps: OverrideDependencies): OverrideActions {
  const { store, catalog, now } = deps;

  async function changeOverrides(
    customerId: string,
    change: { action: 'set' | 'removed'; keys: readonly string[] | 'all'; set: CustomerOverride[] },
    actor: string,
    at: number,
    reason: string | null,
  ): Promise<OverrideChangeResult> {
    const customer = await deps.loadCustomer(customerId, at);
    const plan = resolveAccess(customer, catalog, at, deps.gracePeriodMs).catalogPlan;
    const result = await store.changeCustomerOverrides({
      customerId,
      set: change.set,
      remove: change.action === 'removed' ? change.keys : [],
      audit: (before, after) =>
        overrideAudit(catalog, plan, { customerId, ...change }, actor, at, reason, before, after),
    });
    if (!result) throw new TollgateError('not_found', `No customer '${customerId}'.`);
    await deps.invalidateCustomer(customerId);
    return result;
  }

  return {
    async listOverrides(customerId) {
      await deps.loadCustomer(customerId, now());
      return store.listCustomerOverrides(customerId);
    },

    async setOverrides(customerId, input, actor) {
      const at = now();
      const set = overridesToSet(catalog, customerId, input, actor, at);
      const keys = set.map((override) => override.key);
      return changeOverrides(customerId, { action: 'set', keys, set }, actor, at, input.reason);
    },

    async removeOverrides(customerId, keys, actor, reason = null) {
      if (keys !== 'all') for (const key of keys) checkRemovableKey(catalog, key);
      return changeOverrides(customerId, { action: 'removed', keys, set: [] }, actor, now(), reason);
    },
  };
}
