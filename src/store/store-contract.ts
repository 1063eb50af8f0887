/**
 * The behaviour every Store must have, as one suite that each implementation runs against a real
 * database (`describeStoreContract('sqlite', ...)`). Tests share one store per suite and keep apart by
 * using fresh ids, plans and search terms, so a suite costs one migration. The cases live in
 * `contract/`, one file per area.
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { Store } from '../core/ports.js';
import { describeApiKeyCases } from './contract/api-key-cases.js';
import { describeBillingEventCases } from './contract/billing-event-cases.js';
import { type ContractContext, type StoreHandle, T0, unique } from './contract/contract-context.js';
import { describeCustomerCases } from './contract/customer-cases.js';
import { describeCustomerPriceCases } from './contract/customer-price-cases.js';
import { describeDashboardTokenCases } from './contract/dashboard-token-cases.js';
import { describeGrantCases } from './contract/grant-cases.js';
import { describeHistoryCases } from './contract/history-cases.js';
import { describeMeterOutboxCases } from './contract/meter-outbox-cases.js';
import { describeOperationOverageCases } from './contract/operation-overage-cases.js';
import { describeOperationWindowCases } from './contract/operation-window-cases.js';
import { describeOverrideCases } from './contract/override-cases.js';
import { describeSubscriptionCases } from './contract/subscription-cases.js';
import { describeSubscriptionCountCases } from './contract/subscription-count-cases.js';
import { describeTeamKeyCases } from './contract/team-key-cases.js';
import { describeUsageCases } from './contract/usage-cases.js';
import { describeUsageConcurrencyCases } from './contract/usage-concurrency-cases.js';
import { describeUsageEventCases } from './contract/usage-event-cases.js';

export type { StoreHandle } from './contract/contract-context.js';

/**
 * @example
 * describeStoreContract('sqlite (:memory:)', async () => {
 *   const store = createSqliteStore({ filename: ':memory:' });
 *   await store.migrate();
 *   return { store, cleanup: () => store.close() };
 * });
 */
export function describeStoreContract(name: string, create: () => Promise<StoreHandle>): void {
  describe(`Store contract: ${name}`, () => {
    let handle: StoreHandle | undefined;
    const opened = (): StoreHandle => {
      if (handle === undefined) throw new Error('the store did not open (see the beforeAll error)');
      return handle;
    };
    const context: ContractContext = {
      get store(): Store {
        return opened().store;
      },
      get handle(): StoreHandle {
        return opened();
      },
      newCustomer: (overrides = {}) =>
        opened().store.createCustomer({ id: unique('cus'), plan: 'free', createdAt: T0, ...overrides }),
    };

    beforeAll(async () => {
      handle = await create();
    });
    afterAll(async () => {
      await handle?.cleanup();
    });

    it('migrates again without error (every start runs it)', async () => {
      await context.store.migrate();
      await context.store.ping();
    });

    describeCustomerCases(context);
    describeApiKeyCases(context);
    describeUsageCases(context);
    describeUsageEventCases(context);
    describeUsageConcurrencyCases(context);
    describeOperationWindowCases(context);
    describeOverrideCases(context);
    describeSubscriptionCountCases(context);
    describeSubscriptionCases(context);
    describeCustomerPriceCases(context);
    describeMeterOutboxCases(context);
    describeOperationOverageCases(context);
    describeBillingEventCases(context);
    describeDashboardTokenCases(context);
    describeHistoryCases(context);
    describeGrantCases(context);
    describeTeamKeyCases(context);
  });
}
