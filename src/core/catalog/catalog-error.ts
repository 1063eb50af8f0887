/**
 * The one error a catalog can fail with. It lists every problem at once, each with the dot path of the
 * field (`plans.pro.limits.requests.minute`), because fixing a catalog one error per run is tedious.
 * The HTTP layer can pass `issues` on as the `invalid_request` details unchanged.
 */

/** One problem: `path` is the field's dot path (list items by index, `features.0`); '' for the whole file. */
export interface CatalogIssue {
  path: string;
  message: string;
}

/**
 * Thrown by `parseCatalog`, `defineCatalog` and `loadCatalogFile`. Its message has one line per issue.
 * @example
 * try {
 *   parseCatalog(input);
 * } catch (error) {
 *   if (error instanceof CatalogError) console.error(`Invalid catalog:\n${error.message}`);
 * }
 */
export class CatalogError extends Error {
  override readonly name = 'CatalogError';

  /**
   * @param issues every problem found, in order
   * @param source the file the catalog came from, when there is one
   */
  constructor(
    readonly issues: CatalogIssue[],
    readonly source: string | null = null,
  ) {
    super(issues.map(formatIssue).join('\n'));
  }
}

/**
 * One line of a `CatalogError` message; an issue about the whole file is its message alone.
 * @example formatIssue({ path: 'plans.pro.name', message: 'required' }); // 'plans.pro.name: required'
 */
export function formatIssue(issue: CatalogIssue): string {
  return issue.path === '' ? issue.message : `${issue.path}: ${issue.message}`;
}
