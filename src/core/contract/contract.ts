/**
 * What a customer has agreed beyond its plan, carried with the cached customer so the gate reads it
 * without a query: its own overrides of limits and features (overrides.ts) and its one-off grants
 * (grants.ts). The engine attaches it when it loads a customer; a customer read straight from the
 * store has none attached. Each part is optional.
 */
import type { GrantBook } from './grants.js';
import type { CustomerOverride } from './overrides.js';

export interface CustomerContract {
  /** Overrides as stored, expired ones included (expiry is judged against billing time per request). */
  overrides?: readonly CustomerOverride[];
  /** One-off grants and the period counters their standing is computed from (see grants.ts). */
  grants?: GrantBook;
}

/** The contract of a customer with nothing agreed, shared so loading one allocates nothing. */
export const EMPTY_CONTRACT: CustomerContract = Object.freeze({});
