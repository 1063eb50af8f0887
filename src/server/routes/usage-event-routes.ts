/**
 * `GET /api/v1/usage/events`: the customer's usage events one by one, newest first, with the
 * metadata each was recorded with, paged by the last event id of the previous page. The history
 * route sums events into buckets; this is where an app finds which call consumed what.
 */
import { z } from 'zod';
import type { UsageEvent } from '../../core/ports.js';
import type { Tollgate } from '../../core/tollgate.js';
import type { ApiRouter } from '../api-router.js';
import { credits, creditsSchema, isoTime, isoTimeSchema } from '../wire-format.js';

export const usageEventViewSchema = z.object({
  id: z.string(),
  operation: z.string(),
  quantity: z.number().int(),
  credits: creditsSchema.describe('Credits the event cost'),
  overage: creditsSchema.describe('The part of them past the included quota'),
  idempotency_key: z.string().nullable(),
  occurred_at: isoTimeSchema.describe('When the usage happened'),
  recorded_at: isoTimeSchema.describe('When it was recorded (the period it counts in)'),
  metadata: z.record(z.string(), z.string()).nullable().describe('As recorded; null when none'),
});

function usageEventView(event: UsageEvent): z.infer<typeof usageEventViewSchema> {
  return {
    id: event.id,
    operation: event.operation,
    quantity: event.quantity,
    credits: credits(event.cost),
    overage: credits(event.overage),
    idempotency_key: event.idempotencyKey,
    occurred_at: isoTime(event.occurredAt),
    recorded_at: isoTime(event.recordedAt),
    metadata: event.metadata === null ? null : { ...event.metadata },
  };
}

export function registerUsageEventRoutes(router: ApiRouter, tollgate: Tollgate): void {
  router.route({
    method: 'GET',
    url: '/api/v1/usage/events',
    access: 'customer',
    tag: 'usage',
    summary: "The customer's usage events, newest first",
    description:
      'Each recorded event with its operation, quantity, credits, times and `metadata`. Page with ' +
      '`after` = the `id` of the last event of the previous page while `has_more` is true.',
    query: z.strictObject({
      limit: z.coerce.number().int().min(1).max(100).default(20).describe('Page size, at most 100'),
      after: z.string().min(1).max(100).optional().describe('The last event id of the previous page'),
    }),
    response: {
      description: 'A page of usage events',
      schema: z.object({ data: z.array(usageEventViewSchema), has_more: z.boolean() }),
    },
    async handler({ caller, query }) {
      const page = await tollgate.store.pageUsageEvents(caller.customerId, {
        limit: query.limit,
        ...(query.after !== undefined ? { after: query.after } : {}),
      });
      return { data: page.events.map(usageEventView), has_more: page.hasMore };
    },
  });
}
