/**
 * How values look on the wire, in one place: times as ISO 8601 strings (UTC), credits as JSON numbers
 * with at most 3 decimals (`4250.5`, as the product brief's API shows), `null` for "no limit". The zod
 * atoms here describe them in the OpenAPI document; the helpers produce them.
 */
import { z } from 'zod';
import { formatCredits, MAX_MILLI_CREDITS } from '../core/credits.js';

export const isoTimeSchema = z.string().describe('ISO 8601 time, UTC');
export const creditsSchema = z
  .number()
  .describe('Credits: a number with at most 3 decimals, exact (formatted from integer milli-credits)');
export const creditLimitSchema = creditsSchema.nullable().describe('Credits; null means unlimited');
export const countLimitSchema = z.number().int().nullable().describe('null means unlimited');

/** Epoch ms as an ISO string; null stays null. */
export function isoTime(epochMs: number): string;
export function isoTime(epochMs: number | null): string | null;
export function isoTime(epochMs: number | null): string | null {
  return epochMs === null ? null : new Date(epochMs).toISOString();
}

/**
 * Milli-credits as the JSON number of credits (1500 -> 1.5); null (unlimited) stays null.
 *
 * The number is parsed from the exact decimal text, never computed (no `milli / 1000`). A decimal of
 * at most 15 significant digits survives the round trip through a double, and JSON.stringify prints
 * the shortest text that parses back to the same double, so the wire carries exactly that decimal:
 * exact up to `MAX_MILLI_CREDITS` (the catalog and the gate refuse larger figures). Past it the figure
 * is refused rather than rounded.
 */
export function credits(milli: number): number;
export function credits(milli: number | null): number | null;
export function credits(milli: number | null): number | null {
  if (milli === null) return null;
  if (Math.abs(milli) > MAX_MILLI_CREDITS)
    throw new RangeError(`credits past 10^12 cannot be sent exactly as a JSON number: ${milli}`);
  return Number(formatCredits(milli));
}
