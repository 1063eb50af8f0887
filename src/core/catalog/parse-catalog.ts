/**
 * Validation of a catalog that is already data (parsed YAML or JSON, or a `defineCatalog` object):
 * the schema and the cross-field rules both run, and every problem either finds is reported in one
 * `CatalogError`, with zod's generic wording replaced by sentences that say what to write.
 */
import type { z } from 'zod';
import type { Catalog } from './catalog.js';
import { CatalogError, type CatalogIssue } from './catalog-error.js';
import { catalogSchema, knownFields } from './catalog-schema.js';
import { checkCatalogRules } from './check-catalog-rules.js';

/**
 * Validates a catalog and normalizes its units.
 * @throws CatalogError listing every problem, one `path: message` line each
 * @example
 * const catalog = parseCatalog(YAML.parse(text));
 * catalog.operations.search?.cost; // 100 (milli-credits) for `search: 0.1`
 */
export function parseCatalog(input: unknown): Catalog {
  const result = catalogSchema.safeParse(input, { error: describeIssue });
  const schemaIssues = result.success
    ? []
    : result.error.issues.flatMap((issue) => toCatalogIssues(issue, []));
  const issues = inFileOrder(unique([...schemaIssues, ...checkCatalogRules(input)]), input);
  if (issues.length > 0 || !result.success) throw new CatalogError(issues);
  return result.data;
}

type ZodIssue = z.core.$ZodIssue;

/** Messages for zod's own checks (types, empty strings); the scalar readers supply the rest. */
function describeIssue(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.code === 'invalid_type') {
    if (issue.input === undefined) return 'required';
    const mapping = issue.expected === 'object' || issue.expected === 'record';
    if (mapping) return 'expected a mapping (key: value pairs)';
    if (issue.expected === 'array') return 'expected a list';
    if (issue.expected === 'string') return 'expected a text value';
    return `expected a value of type ${issue.expected}`;
  }
  if (issue.code === 'too_small' && issue.origin === 'string') return 'must not be empty';
  return undefined;
}

function toCatalogIssues(issue: ZodIssue, prefix: PropertyKey[]): CatalogIssue[] {
  const path = [...prefix, ...issue.path];
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => ({ path: dotPath([...path, key]), message: unknownField(key, path) }));
    case 'invalid_union': {
      // A value with two forms (`capture: 1` or `capture: { credits: 1 }`): report against the form
      // the user evidently chose, the first one that did not reject the value's type outright.
      const chosen = issue.errors.find((option) => !isTypeMismatch(option)) ?? issue.errors[0] ?? [];
      return chosen.flatMap((inner) => toCatalogIssues(inner, path));
    }
    case 'invalid_type':
      return path.length === 0
        ? [{ path: '', message: 'expected the catalog to be a mapping (key: value pairs)' }]
        : [{ path: dotPath(path), message: issue.message }];
    default:
      return [{ path: dotPath(path), message: issue.message }];
  }
}

/** `unknown field`, with the intended one when the key is a near miss (`trail_days`, `limts`). */
function unknownField(key: string, objectPath: PropertyKey[]): string {
  const known = knownFields(objectPath);
  const closest = known
    .map((field) => ({ field, distance: editDistance(key.toLowerCase(), field) }))
    .sort((a, b) => a.distance - b.distance)[0];
  const nearMiss =
    closest !== undefined && closest.distance <= Math.max(1, Math.floor(closest.field.length / 3));
  return nearMiss ? `unknown field (did you mean '${closest.field}'?)` : 'unknown field';
}

/** Levenshtein distance, with a transposition counted as one edit (`trail` -> `trial`). */
function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = rows[i]!;
      const above = rows[i - 1]!;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min(above[j]! + 1, row[j - 1]! + 1, above[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        row[j] = Math.min(row[j]!, rows[i - 2]![j - 2]! + 1);
      }
    }
  }
  return rows[a.length]![b.length]!;
}

function isTypeMismatch(option: ZodIssue[]): boolean {
  return option.length === 1 && option[0]?.code === 'invalid_type' && option[0].path.length === 0;
}

function dotPath(path: PropertyKey[]): string {
  return path.map(String).join('.');
}

function unique(issues: CatalogIssue[]): CatalogIssue[] {
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const key = `${issue.path}\u0000${issue.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Sorts issues the way the file reads, top to bottom: zod reports unknown keys after their siblings and
 * the rules run after the schema, but a person fixes a file from its first line. Missing fields sort last
 * among their siblings; the sort is stable, so issues at one path keep their order.
 */
function inFileOrder(issues: CatalogIssue[], input: unknown): CatalogIssue[] {
  const keyed = issues.map((issue) => ({ issue, position: positionOf(input, issue.path) }));
  keyed.sort((a, b) => comparePositions(a.position, b.position));
  return keyed.map(({ issue }) => issue);
}

function positionOf(input: unknown, path: string): number[] {
  const position: number[] = [];
  let node = input;
  for (const segment of path === '' ? [] : path.split('.')) {
    let index = -1;
    if (Array.isArray(node)) index = Number(segment);
    else if (typeof node === 'object' && node !== null) index = Object.keys(node).indexOf(segment);
    position.push(index === -1 || Number.isNaN(index) ? Number.POSITIVE_INFINITY : index);
    node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[segment] : undefined;
  }
  return position;
}

function comparePositions(a: number[], b: number[]): number {
  for (let index = 0; index < Math.min(a.length, b.length); index++) {
    const difference = (a[index] ?? 0) - (b[index] ?? 0);
    if (difference !== 0 && !Number.isNaN(difference)) return difference;
  }
  return a.length - b.length;
}
