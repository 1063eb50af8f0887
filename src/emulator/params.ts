/**
 * Reading request parameters the way Stripe does.
 *
 * v1 bodies are form-encoded with bracket notation (`items[0][price]=...`), so every leaf arrives as a string
 * and arrays may arrive as objects with numeric keys. `Params` converts on read and names the offending
 * parameter in errors (`Invalid integer: abc` with `param: 'items[0][quantity]'`), as Stripe does.
 */
import qs from 'qs';
import { invalidRequest, missingParam } from './errors.js';

export type RawParams = Record<string, unknown>;

/** Parses a form-encoded body or query string; arrays of any length stay arrays. */
export function parseForm(text: string): RawParams {
  return qs.parse(text, {
    arrayLimit: 10_000,
    depth: 12,
    parameterLimit: 100_000,
    allowDots: false,
  }) as RawParams;
}

export class Params {
  constructor(
    readonly raw: RawParams,
    private readonly prefix = '',
  ) {}

  /** The parameter's full name for errors, e.g. `subscription_details[proration_date]`. */
  name(key: string): string {
    return this.prefix === '' ? key : `${this.prefix}[${key}]`;
  }

  has(key: string): boolean {
    return this.raw[key] !== undefined;
  }

  /** Stripe treats an empty string as "unset this field". */
  isUnset(key: string): boolean {
    return this.raw[key] === '';
  }

  string(key: string): string | undefined {
    const value = this.raw[key];
    if (value === undefined) return undefined;
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    throw invalidRequest(`Invalid string: ${JSON.stringify(value)}`, this.name(key));
  }

  requiredString(key: string): string {
    const value = this.string(key);
    if (value === undefined || value === '') throw missingParam(this.name(key));
    return value;
  }

  /** A string or null when the client unset it with `key=`; undefined when absent. */
  nullableString(key: string): string | null | undefined {
    if (this.isUnset(key)) return null;
    return this.string(key);
  }

  integer(key: string): number | undefined {
    const value = this.raw[key];
    if (value === undefined || value === '') return undefined;
    const text = String(value);
    if (!/^-?\d+$/.test(text)) throw invalidRequest(`Invalid integer: ${text}`, this.name(key));
    return Number.parseInt(text, 10);
  }

  requiredInteger(key: string): number {
    const value = this.integer(key);
    if (value === undefined) throw missingParam(this.name(key));
    return value;
  }

  boolean(key: string): boolean | undefined {
    const value = this.raw[key];
    if (value === undefined || value === '') return undefined;
    if (value === true || value === 'true') return true;
    if (value === false || value === 'false') return false;
    throw invalidRequest(`Invalid boolean: ${String(value)}`, this.name(key));
  }

  oneOf<T extends string>(key: string, allowed: readonly T[]): T | undefined {
    const value = this.string(key);
    if (value === undefined || value === '') return undefined;
    if (!(allowed as readonly string[]).includes(value)) {
      throw invalidRequest(
        `Invalid ${key}: must be one of ${allowed.join(', ')}`,
        this.name(key),
        'parameter_invalid_string',
      );
    }
    return value as T;
  }

  object(key: string): Params | undefined {
    const value = this.raw[key];
    if (value === undefined || value === '') return undefined;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw invalidRequest(`Invalid object`, this.name(key));
    }
    return new Params(value as RawParams, this.name(key));
  }

  /** Arrays arrive as JS arrays or, with sparse indexes, as objects keyed by index. */
  private list(key: string): unknown[] {
    const value = this.raw[key];
    if (value === undefined || value === '') return [];
    if (Array.isArray(value)) return value;
    if (typeof value === 'object' && value !== null) {
      return Object.entries(value as RawParams)
        .sort(([a], [b]) => Number(a) - Number(b))
        .map(([, item]) => item);
    }
    return [value];
  }

  objects(key: string): Params[] {
    return this.list(key).map((item, index) => {
      if (typeof item !== 'object' || item === null) {
        throw invalidRequest('Invalid array', `${this.name(key)}[${index}]`);
      }
      return new Params(item as RawParams, `${this.name(key)}[${index}]`);
    });
  }

  strings(key: string): string[] {
    return this.list(key).map((item) => String(item));
  }

  /** Stripe's metadata update: keys set to '' are removed, `metadata=''` clears everything. */
  metadata(existing: Record<string, string> = {}): Record<string, string> | undefined {
    if (this.isUnset('metadata')) return {};
    const update = this.raw.metadata;
    if (update === undefined) return undefined;
    if (typeof update !== 'object' || update === null) {
      throw invalidRequest('Invalid metadata', this.name('metadata'));
    }
    const next = { ...existing };
    for (const [key, value] of Object.entries(update as RawParams)) {
      if (value === '' || value === null) delete next[key];
      else next[key] = String(value);
    }
    return next;
  }

  /** The `expand[]` list, which may be sent as an array or as indexed keys. */
  expand(): string[] {
    return this.strings('expand');
  }
}
