/**
 * Records up to 1,000 usage events in one call, with a result per event. The valid events go to the
 * engine in one `consumeBatch` call: the customer, plan, contract and key are resolved once, and the
 * debits reach the group committer as one unit, written by one `commitUsage` transaction: they are
 * durable together when this resolves, and a store failure records none of them. Duplicates inside
 * the batch and retries of an earlier batch are told apart by idempotency key, exactly as for single
 * events.
 *
 * Batched events debit credits but do not count against the request-rate limits: a batch reports
 * usage that already happened (often a backfill), and counting 1,000 of them against a 10-a-minute
 * window would refuse honest reports.
 */
import { z } from 'zod';
import { type ErrorIssue, TollgateError } from '../core/errors.js';
import type { UsageReport } from '../core/gate/gate.js';
import type { GateDecision } from '../core/gate/gate-decision.js';
import type { Tollgate } from '../core/tollgate.js';
import { deniedBody } from './gate-hook.js';
import { issuesFrom } from './parse-input.js';
import { readTimestamp, usageEventSchema } from './usage-event-input.js';

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
  const results = new Array<EventResult>(events.length);
  // The valid events, in order, and where each sits in the request.
  const reports: UsageReport[] = [];
  const positions: number[] = [];
  events.forEach((raw, index) => {
    const parsed = usageEventSchema.safeParse(raw);
    if (!parsed.success) {
      results[index] = invalidResult(index, issuesFrom(parsed.error.issues));
      return;
    }
    const event = parsed.data;
    const timestamp = readTimestamp(event.timestamp, now);
    if (!timestamp.ok) {
      results[index] = invalidResult(index, [timestamp.issue]);
      return;
    }
    const report: UsageReport = { operation: event.operation, quantity: event.quantity ?? 1 };
    if (event.idempotency_key !== undefined) report.idempotencyKey = event.idempotency_key;
    if (timestamp.value !== undefined) report.occurredAt = timestamp.value;
    if (event.metadata !== undefined) report.metadata = event.metadata;
    reports.push(report);
    positions.push(index);
  });

  // One engine call for the whole batch: one decision pass and one commit.
  const answers = await tollgate.consumeBatch(customerId, reports, keyId === undefined ? {} : { keyId });
  answers.forEach((answer, position) => {
    const index = positions[position] as number;
    results[index] = eventResult(index, answer);
  });

  const summary = { recorded: 0, duplicate: 0, denied: 0, conflict: 0, invalid: 0 };
  for (const result of results) summary[result.status] += 1;
  return { results, summary };
}

/** One event's result from the engine's answer: its decision, or the error that refused it. */
function eventResult(index: number, answer: GateDecision | TollgateError): EventResult {
  if (answer instanceof TollgateError) {
    if (answer.code === 'conflict') {
      const eventId = typeof answer.details.event_id === 'string' ? answer.details.event_id : null;
      return {
        index,
        status: 'conflict',
        event_id: eventId,
        error: { error: answer.code, message: answer.message },
      };
    }
    if (answer.code === 'invalid_request') {
      return invalidResult(index, (answer.details.issues as ErrorIssue[] | undefined) ?? []);
    }
    throw answer;
  }
  // The body a single event would be refused with, details included.
  if (!answer.allowed) return { index, status: 'denied', error: deniedBody(answer) as EventError };
  return { index, status: answer.replayed ? 'duplicate' : 'recorded', event_id: answer.eventId };
}
