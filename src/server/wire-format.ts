/**
 * How values look on the wire, in one place: times as ISO 8601 strings (UTC), credits as decimal
 * strings (exact: "0.1", never a float), `null` for "no limit". The zod atoms here describe them in
 * the OpenAPI document; the helpers produce them.
 */
import { z } from 'zod';
import { formatCredits } from '../core/credits.js';

export const isoTimeSchema = z.string().describe('ISO 8601 time, UTC');
export const creditsSchema = z
  .string()
  .regex(/^-?\d+(\.\d{1,3})?$/)
  .describe('Credits as an exact decimal string, e.g. "0.1"');
export const creditLimitSchema = creditsSchema.nullable().describe('Credits; null means unlimited');
export const countLimitSchema = z.number().int().nullable().describe('null means unlimited');

/** Epoch ms as an ISO string; null stays null. */
export function isoTime(epochMs: number): string;
export function isoTime(epochMs: number | null): string | null;
export function isoTime(epochMs: number | null): string | null {
  return epochMs === null ? null : new Date(epochMs).toISOString();
}

/** Milli-credits as a decimal credit string; null (unlimited) stays null. */
export function credits(milli: number): string;
export function credits(milli: number | null): string | null;
export function credits(milli: number | null): string | null {
  return milli === null ? null : formatCredits(milli);
}
