/**
 * zod at the edge: every body, query string and path parameter is parsed with a strict schema, and
 * every zod issue becomes one `{ path, message }` of the documented `invalid_request` error, so a
 * client learns all its mistakes from one answer. An unknown field is named by its own path.
 */
import type { z } from 'zod';
import { type ErrorIssue, invalidRequest } from '../core/errors.js';

/** zod issues as the error envelope's issues; `prefix` is prepended to each path (`events.3`). */
export function issuesFrom(
  issues: readonly z.core.$ZodIssue[],
  prefix: readonly string[] = [],
): ErrorIssue[] {
  return issues.flatMap((issue) => {
    const path = [...prefix, ...issue.path.map(String)];
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: [...path, key].join('.'), message: 'unknown field' }));
    }
    return [{ path: path.join('.'), message: issue.message }];
  });
}

/**
 * Parses `value` with `schema` or throws `invalid_request` naming every problem.
 * @example
 * const body = parseInput(z.strictObject({ bytes: z.number().int() }), request.body);
 */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw invalidRequest(issuesFrom(result.error.issues));
  return result.data;
}
