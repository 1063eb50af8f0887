/**
 * What a customer has agreed beyond its plan, carried with the cached customer so the gate reads it
 * without a query: its own overrides of limits and features (overrides.ts). The engine attaches it
 * when it loads a customer; a customer read straight from the store has none attached.
 */
import type { CustomerOverride } from './overrides.js';

export interface CustomerContract {
  /** Overrides as stored, expired ones included (expiry is judged against billing time per request). */
  overrides?: readonly CustomerOverride[];
}

/** The contract of a customer with nothing agreed, shared so loading one allocates nothing. */
export const EMPTY_CONTRACT: CustomerContract = Object.freeze({});
