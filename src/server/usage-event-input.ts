/**
 * One usage event as a client reports it (`POST /api/v1/usage/record`, alone or in a batch), and
 * how it becomes a gate request. Timestamps are ISO strings or epoch seconds, accepted from 35 days
 * back (late reports, retries after an outage) to 5 minutes ahead (clock skew), no further.
 */
import { z } from 'zod';
import { type ErrorIssue, invalidRequest } from '../core/errors.js';
import { metadataIssues } from '../core/gate/event-metadata.js';
import type { GateRequest } from '../core/gate/gate.js';
import { DAY_MS, MINUTE_MS } from '../core/periods.js';

export const MAX_QUANTITY = 1_000_000_000;
export const MAX_BATCH_EVENTS = 1000;
export const MAX_EVENT_AGE_MS = 35 * DAY_MS;
export const MAX_EVENT_SKEW_MS = 5 * MINUTE_MS;

const TIMESTAMP_EXPECTED = 'expected an ISO 8601 time with a zone (2026-01-31T12:00:00Z) or epoch seconds';

export const operationSchema = z.string().min(1).max(100).describe('An operation of the catalog');
export const quantitySchema = z
  .number()
  .int()
  .min(1)
  .max(MAX_QUANTITY)
  .describe('Units of the operation; default 1');

/** The engine's rules (core/gate/event-metadata), so the route and `consume()` refuse alike. */
export const metadataSchema = z
  .record(z.string(), z.string())
  .superRefine((metadata, context) => {
    for (const issue of metadataIssues(metadata, '')) {
      // '' for the map itself, '.<key>' for one entry (keys may hold dots: not split).
      const path = issue.path === '' ? [] : [issue.path.slice(1)];
      context.addIssue({ code: 'custom', message: issue.message, path });
    }
  })
  .describe(
    'Strings stored with the event and returned where events are listed (e.g. {"model": "gpt-4o"}): at most ' +
      '16 keys matching ^[a-z][a-z0-9_.-]{0,39}$, values up to 200 characters. Part of the idempotency fingerprint',
  );

export const usageEventSchema = z.strictObject({
  operation: operationSchema,
  quantity: quantitySchema.optional(),
  idempotency_key: z
    .string()
    .min(1)
    .max(255)
    .optional()
    .describe('A retry with the same key records nothing more and gets the first answer'),
  timestamp: z
    .union(
      [
        z.iso.datetime({ offset: true, error: TIMESTAMP_EXPECTED }),
        z
          .number({ error: TIMESTAMP_EXPECTED })
          .int({ error: TIMESTAMP_EXPECTED })
          .min(0)
          .max(Number.MAX_SAFE_INTEGER / 1000),
      ],
      { error: TIMESTAMP_EXPECTED },
    )
    .optional()
    .describe('When the usage happened: ISO 8601 or epoch seconds; within the last 35 days, default now'),
  metadata: metadataSchema.optional(),
});

export type UsageEventInput = z.infer<typeof usageEventSchema>;

export const usageBatchSchema = z.strictObject({
  events: z.array(usageEventSchema).min(1).max(MAX_BATCH_EVENTS),
});

/** Epoch ms of the event's timestamp, or the issue that refuses it. */
export function readTimestamp(
  timestamp: string | number | undefined,
  now: number,
): { ok: true; value: number | undefined } | { ok: false; issue: ErrorIssue } {
  if (timestamp === undefined) return { ok: true, value: undefined };
  const at = typeof timestamp === 'number' ? timestamp * 1000 : Date.parse(timestamp);
  if (!Number.isSafeInteger(at))
    return { ok: false, issue: { path: 'timestamp', message: 'not a valid time' } };
  if (at < now - MAX_EVENT_AGE_MS)
    return { ok: false, issue: { path: 'timestamp', message: 'more than 35 days in the past' } };
  if (at > now + MAX_EVENT_SKEW_MS)
    return { ok: false, issue: { path: 'timestamp', message: 'more than 5 minutes in the future' } };
  return { ok: true, value: at };
}

/**
 * The gate request for a parsed event.
 * @param countRequest whether the event also counts against the per-minute and per-day request limits
 */
export function eventGateRequest(event: UsageEventInput, now: number, countRequest: boolean): GateRequest {
  const timestamp = readTimestamp(event.timestamp, now);
  if (!timestamp.ok) throw invalidRequest([timestamp.issue]);
  const request: GateRequest = { operation: event.operation, quantity: event.quantity ?? 1, countRequest };
  if (event.idempotency_key !== undefined) request.idempotencyKey = event.idempotency_key;
  if (timestamp.value !== undefined) request.occurredAt = timestamp.value;
  if (event.metadata !== undefined) request.metadata = event.metadata;
  return request;
}
