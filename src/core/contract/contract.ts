/**
 * A customer's contract: what was agreed with this customer beyond its plan. It travels with the cached
 * customer (`Customer.contract`), attached when the engine loads it, so the gate reads it without a
 * query. Each part is optional; a customer without a contract has none of them.
 */
import type { GrantBook } from './grants.js';

export interface CustomerContract {
  /** One-off grants and the period counters their standing is computed from (see grants.ts). */
  grants?: GrantBook;
}
