/**
 * What the contract's case files share: the store under test (read when a test runs, because the
 * suite opens it in `beforeAll`), a way to make a fresh customer, and debit-building helpers.
 */
import { randomBytes } from 'node:crypto';
import type { Customer, NewCustomer, Store, UsageDebit, UsageOutcome } from '../../core/ports.js';

export interface StoreHandle {
  store: Store;
  cleanup(): Promise<void>;
  /**
   * Opens another, migrated store on the same database (another connection or pool), for races
   * between instances. Absent when the database cannot be shared (`:memory:`). The caller closes it.
   */
  openAnother?(): Promise<Store>;
}

export interface ContractContext {
  readonly store: Store;
  readonly handle: StoreHandle;
  /** A new customer with a fresh id (tests share one store and keep apart by id). */
  newCustomer(overrides?: Partial<NewCustomer>): Promise<Customer>;
}

export const PERIOD = Date.UTC(2026, 0, 1);
export const NEXT_PERIOD = Date.UTC(2026, 1, 1);
export const T0 = Date.UTC(2026, 0, 15);

/**
 * Runs `race` with the store under test and up to three more instances on the same database (one
 * when it cannot be shared), then closes the others.
 */
export async function withStoreInstances<T>(
  context: ContractContext,
  race: (stores: Store[]) => Promise<T>,
): Promise<T> {
  const others: Store[] = [];
  for (let index = 0; index < 3 && context.handle.openAnother; index++)
    others.push(await context.handle.openAnother());
  try {
    return await race([context.store, ...others]);
  } finally {
    await Promise.all(others.map((other) => other.close()));
  }
}

export function unique(prefix: string): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

/** A debit of one `search` costing 1 credit in PERIOD, unlimited, without an idempotency key. */
export function debit(customerId: string, overrides: Partial<UsageDebit> = {}): UsageDebit {
  return {
    customerId,
    periodStart: PERIOD,
    operation: 'search',
    quantity: 1,
    cost: 1000,
    limit: null,
    included: null,
    idempotencyKey: null,
    requestHash: null,
    occurredAt: T0,
    ...overrides,
  };
}

export function count(outcomes: UsageOutcome[], kind: UsageOutcome['kind']): number {
  return outcomes.filter((outcome) => outcome.kind === kind).length;
}
