/**
 * The demo catalog (free, starter, pro, enterprise) that `npm start` and `tollgate serve` use when no
 * catalog file is given. It lives in `demo-catalog.yaml` beside this module, so it doubles as the
 * example users copy to start their own.
 */
import type { Catalog } from './catalog.js';
import { loadCatalogFile } from './load-catalog-file.js';

/** The demo catalog file; ship it next to this module when building. */
export const DEMO_CATALOG_URL = new URL('./demo-catalog.yaml', import.meta.url);

let demo: Catalog | undefined;

/**
 * The parsed demo catalog. Each call returns a fresh copy, so a caller that edits it (a test adding a
 * plan) cannot change what the next caller sees.
 * @example
 * const catalog = demoCatalog();
 * findPlan(catalog, 'pro')?.limits.credits; // 100_000_000 milli-credits
 */
export function demoCatalog(): Catalog {
  demo ??= loadCatalogFile(DEMO_CATALOG_URL);
  return structuredClone(demo);
}
