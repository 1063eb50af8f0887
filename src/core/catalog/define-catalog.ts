/**
 * Catalog as TypeScript: the file format typed, so editors complete plan fields and units, validated
 * exactly like a YAML file.
 */
import type { Catalog } from './catalog.js';
import type { CatalogInput } from './catalog-schema.js';
import { parseCatalog } from './parse-catalog.js';

/**
 * Validates and normalizes a catalog written in TypeScript.
 * @throws CatalogError listing every problem
 * @example
 * export const catalog = defineCatalog({
 *   currency: 'usd',
 *   default_plan: 'free',
 *   features: { federation: 'Federation' },
 *   operations: { search: 0.1, reflect: { credits: 2, description: 'Reflect over stored memories' } },
 *   plans: {
 *     free: { name: 'Free', limits: { credits: 100, requests: { minute: 10 } } },
 *     pro: {
 *       name: 'Pro',
 *       prices: { month: 2900 },
 *       limits: { credits: 100_000, storage: { bytes: '10GB' } },
 *       features: ['federation'],
 *     },
 *   },
 * });
 */
export function defineCatalog(input: CatalogInput): Catalog {
  return parseCatalog(input);
}
