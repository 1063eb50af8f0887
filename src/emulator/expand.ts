/**
 * `expand[]`: replaces an id with the object it names, along dotted paths (`latest_invoice.payment_intent`,
 * `data.customer` on lists).
 *
 * Expansion works on a copy of the response. Some expandable fields are not stored on the object at all
 * (an invoice's `payments`, or the pre-2025 `invoice.payment_intent` that older clients still ask for);
 * `virtualFields` computes those on demand.
 */
import { invalidRequest } from './errors.js';
import type { ApiObject } from './types.js';

export interface ExpandSource {
  /** The current API view of a stored object, or undefined when the id is unknown. */
  lookup(id: string): ApiObject | undefined;
  /** Fields that exist only when expanded, keyed by object type then field name. */
  virtual(object: ApiObject, field: string): unknown;
}

export function expandPaths(value: unknown, paths: string[], source: ExpandSource): unknown {
  let result = value;
  for (const path of paths) {
    if (path.split('.').length > 4) {
      throw invalidRequest(`You cannot expand more than 4 levels of a property. Property: ${path}`, 'expand');
    }
    result = expandOne(result, path.split('.'), source, path);
  }
  return result;
}

function expandOne(value: unknown, segments: string[], source: ExpandSource, fullPath: string): unknown {
  const [head, ...rest] = segments;
  if (head === undefined) return value;
  if (Array.isArray(value)) return value.map((item) => expandOne(item, segments, source, fullPath));
  if (typeof value !== 'object' || value === null) return value;
  const object = value as ApiObject;
  let field: unknown = object[head];
  if (!(head in object)) {
    field = source.virtual(object, head);
    if (field === undefined) {
      throw invalidRequest(`This property cannot be expanded (${head}).`, 'expand');
    }
  }
  const expanded = Array.isArray(field) ? field.map((item) => resolve(item, source)) : resolve(field, source);
  return { ...object, [head]: rest.length === 0 ? expanded : expandOne(expanded, rest, source, fullPath) };
}

function resolve(value: unknown, source: ExpandSource): unknown {
  if (typeof value !== 'string') return value;
  return source.lookup(value) ?? value;
}
