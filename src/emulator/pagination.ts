/**
 * Stripe's list envelope and cursor pagination (`limit`, `starting_after`, `ending_before`, `has_more`).
 *
 * Lists are newest first. `ending_before` pages backwards: it returns the `limit` objects just newer than
 * the cursor, still newest first, and `has_more` says whether even newer ones exist.
 */
import { invalidRequest } from './errors.js';
import type { Params } from './params.js';

export interface ListObject<T> {
  object: 'list';
  data: T[];
  has_more: boolean;
  url: string;
}

export function listOf<T>(data: T[], url: string, hasMore = false): ListObject<T> {
  return { object: 'list', data, has_more: hasMore, url };
}

/** `items` oldest first (store order); returns one page, newest first. */
export function paginate<T extends { id: string; created?: number }>(
  items: T[],
  params: Params,
  url: string,
): ListObject<T> {
  const limit = params.integer('limit') ?? 10;
  if (limit < 1 || limit > 100) {
    throw invalidRequest(
      'This value must be greater than or equal to 1 and less than or equal to 100.',
      'limit',
    );
  }
  const newestFirst = filterCreated(items, params).reverse();
  const startingAfter = params.string('starting_after');
  const endingBefore = params.string('ending_before');
  if (startingAfter) {
    const index = newestFirst.findIndex((item) => item.id === startingAfter);
    if (index < 0)
      throw invalidRequest(`No such object: '${startingAfter}'`, 'starting_after', 'resource_missing');
    const rest = newestFirst.slice(index + 1);
    return listOf(rest.slice(0, limit), url, rest.length > limit);
  }
  if (endingBefore) {
    const index = newestFirst.findIndex((item) => item.id === endingBefore);
    if (index < 0)
      throw invalidRequest(`No such object: '${endingBefore}'`, 'ending_before', 'resource_missing');
    const before = newestFirst.slice(0, index);
    return listOf(before.slice(Math.max(0, before.length - limit)), url, before.length > limit);
  }
  return listOf(newestFirst.slice(0, limit), url, newestFirst.length > limit);
}

/** `created=ts` or `created[gt|gte|lt|lte]=ts`, as every Stripe list accepts. */
export function filterCreated<T extends { created?: number }>(items: T[], params: Params): T[] {
  if (!params.has('created')) return [...items];
  const exact = params.raw.created;
  if (typeof exact === 'string') {
    const at = params.integer('created');
    return items.filter((item) => item.created === at);
  }
  const range = params.object('created');
  if (range === undefined) return [...items];
  const gt = range.integer('gt');
  const gte = range.integer('gte');
  const lt = range.integer('lt');
  const lte = range.integer('lte');
  return items.filter((item) => {
    const created = item.created ?? 0;
    return (
      (gt === undefined || created > gt) &&
      (gte === undefined || created >= gte) &&
      (lt === undefined || created < lt) &&
      (lte === undefined || created <= lte)
    );
  });
}
