/**
 * Records up to 1,000 usage events in one call, with a result per event. Every valid event goes to
 * the gate at once, so all of them reach the group committer in the same turn of the event loop and
 * are written by one `commitUsage` transaction: they are durable together when this resolves, and a
 * store failure records none of them. Duplicates inside the batch and retries of an earlier batch
 * are told apart by idempotency key, exactly as for single events.
 *
 * Batched events debit credits but do not count against the request-rate limits: a batch reports
 * usage that already happened (often a backfill), and counting 1,000 of them against a 10-a-minute
 * window would refuse honest reports.
 */
import { z } from 'zod';
import { type ErrorIssue, TollgateError } from '../core/errors.js';
import type { Tollgate } from '../core/tollgate.js';
import { deniedBody } from './gate-hook.js';
import { issuesFrom } from './parse-input.js';
import { eventGateRequest, readTimestamp, usageEventSchema } from './usage-event-input.js';

export const batchStatusSchema = z.enum(['recorded', 'duplicate', 'denied', 'conflict', 'invalid']);

export const batchResultSchema = z.object({
  results: z.array(
    z.object({
      index: z.number().int().describe('Position of the event in the request'),
      status: batchStatusSchema,
      event_id: z.string().nullable().optional().describe('The recorded (or first recorded) event'),
      error: z
        .looseObject({
          error: z.string(),
          message: z.string(),
          issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
        })
        .optional()
        .describe('Why the event was not recorded, in the error envelope'),
    }),
  ),
  summary: z.record(batchStatusSchema, z.number().int()).describe('How many events got each status'),
});

export type BatchResult = z.infer<typeof batchResultSchema>;
type EventResult = BatchResult['results'][number];
type EventError = NonNullable<EventResult['error']>;

function invalidResult(index: number, issues: ErrorIssue[]): EventResult {
  const error = new TollgateError('invalid_request', issues.map((i) => `${i.path}: ${i.message}`).join('; '));
  return { index, status: 'invalid', error: { error: error.code, message: error.message, issues } };
}

export async function recordBatch(
  tollgate: Tollgate,
  customerId: string,
  events: readonly unknown[],
  keyId?: string,
): Promise<BatchResult> {
  const now = tollgate.clock.now();
  // Warm the customer and usage caches first: then no event waits on a read of its own, and every
  // debit below is queued before the group committer's next batch starts.
  await tollgate.check(customerId, { countRequest: false });

  const results = await Promise.all(
    events.map(async (raw, index): Promise<EventResult> => {
      const parsed = usageEventSchema.safeParse(raw);
      if (!parsed.success) return invalidResult(index, issuesFrom(parsed.error.issues));
      const timestamp = readTimestamp(parsed.data.timestamp, now);
      if (!timestamp.ok) return invalidResult(index, [timestamp.issue]);
      try {
        const request = eventGateRequest(parsed.data, now, false);
        if (keyId !== undefined) request.keyId = keyId;
        const decision = await tollgate.consume(customerId, request);
        if (!decision.allowed) {
          // The body a single event would be refused with, details included.
          return { index, status: 'denied', error: deniedBody(decision) as EventError };
        }
        return { index, status: decision.replayed ? 'duplicate' : 'recorded', event_id: decision.eventId };
      } catch (error) {
        if (!(error instanceof TollgateError)) throw error;
        if (error.code === 'conflict') {
          const eventId = typeof error.details.event_id === 'string' ? error.details.event_id : null;
          return {
            index,
            status: 'conflict',
            event_id: eventId,
            error: { error: error.code, message: error.message },
          };
        }
        if (error.code === 'invalid_request') {
          const issues = (error.details.issues as ErrorIssue[] | undefined) ?? [];
          return invalidResult(index, issues);
        }
        throw error;
      }
    }),
  );

  const summary = { recorded: 0, duplicate: 0, denied: 0, conflict: 0, invalid: 0 };
  for (const result of results) summary[result.status] += 1;
  return { results, summary };
}
