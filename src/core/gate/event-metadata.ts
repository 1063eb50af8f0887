/**
 * Metadata a usage event may carry (the model that consumed the tokens, a region): a small map of
 * strings stored with the event and returned where events are listed. Bounded so one event stays a
 * small row: at most 16 keys, keys like identifiers, values up to 200 characters. Checked here, in
 * the engine, so `consume()` and the HTTP routes refuse the same things with the same paths.
 */
import type { ErrorIssue } from '../errors.js';

export type EventMetadata = Readonly<Record<string, string>>;

export const MAX_METADATA_KEYS = 16;
export const MAX_METADATA_VALUE_LENGTH = 200;
export const METADATA_KEY_PATTERN = /^[a-z][a-z0-9_.-]{0,39}$/;

/** Why this metadata is refused, each issue named by its path (`metadata.model`); empty when fine. */
export function metadataIssues(metadata: unknown, path = 'metadata'): ErrorIssue[] {
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata))
    return [{ path, message: 'expected an object of strings' }];
  const entries = Object.entries(metadata);
  const issues: ErrorIssue[] = [];
  if (entries.length > MAX_METADATA_KEYS) issues.push({ path, message: `at most ${MAX_METADATA_KEYS} keys` });
  for (const [key, value] of entries) {
    if (!METADATA_KEY_PATTERN.test(key))
      issues.push({
        path: `${path}.${key}`,
        message: 'keys are 1-40 characters: a lowercase letter, then a-z, 0-9, _ . -',
      });
    else if (typeof value !== 'string') issues.push({ path: `${path}.${key}`, message: 'expected a string' });
    else if (value.length > MAX_METADATA_VALUE_LENGTH)
      issues.push({ path: `${path}.${key}`, message: `at most ${MAX_METADATA_VALUE_LENGTH} characters` });
  }
  return issues;
}

/**
 * The metadata as stored and fingerprinted: JSON with its keys sorted, so `{a, b}` and `{b, a}` are the
 * same request; null when absent or empty (an event without metadata).
 */
export function canonicalMetadata(metadata: EventMetadata | undefined | null): string | null {
  if (metadata === undefined || metadata === null) return null;
  const keys = Object.keys(metadata).sort();
  if (keys.length === 0) return null;
  return JSON.stringify(Object.fromEntries(keys.map((key) => [key, metadata[key]])));
}

/** Stored metadata back to a map (null for an event without any). */
export function parseMetadata(stored: string | null): EventMetadata | null {
  return stored === null ? null : (JSON.parse(stored) as EventMetadata);
}
