/**
 * The bench's customers: fixed ids (`cus_bench_0000` ...) so SQL can generate their usage rows
 * server-side, and one real API key each, made by the engine's own key generator.
 */
import { generateApiKey } from '../src/core/api-keys.js';
import type { ApiKeyRecord } from '../src/core/ports.js';

export interface BenchCustomer {
  id: string;
  /** The full key, sent in X-API-Key. */
  key: string;
  record: ApiKeyRecord;
}

export const CUSTOMER_ID_PREFIX = 'cus_bench_';
/** Digits after the prefix; SQL builds the same ids with lpad/printf. */
export const CUSTOMER_ID_DIGITS = 4;

export function benchCustomerId(index: number): string {
  return `${CUSTOMER_ID_PREFIX}${String(index).padStart(CUSTOMER_ID_DIGITS, '0')}`;
}

export function makeBenchCustomers(count: number, now: number): BenchCustomer[] {
  if (count > 10 ** CUSTOMER_ID_DIGITS) throw new Error(`at most ${10 ** CUSTOMER_ID_DIGITS} customers`);
  return Array.from({ length: count }, (_, index) => {
    const id = benchCustomerId(index);
    const issued = generateApiKey(id, now, 'bench');
    return { id, key: issued.key, record: issued.record };
  });
}
