/**
 * `POST /api/v1/usage/record`: the service-mode meter. One event is debited through the gate and
 * answered like a gated request (200 with the decision headers, or the 403/429 denial); a batch
 * `{ events: [...] }` gets a result per event.
 *
 * A single recorded event counts as one request against the per-minute and per-day limits: in service
 * mode the app reports each of its users' requests here, so this is where those limits are enforced
 * (`/usage/check` reads the same windows without counting). Batched events are not counted; see
 * record-batch.ts.
 */
import { z } from 'zod';
import type { Tollgate } from '../../core/tollgate.js';
import type { ApiRouter } from '../api-router.js';
import { recordResultSchema, recordResultView, sendDecisionHeaders } from '../decision-view.js';
import { deniedBody } from '../gate-hook.js';
import { parseInput } from '../parse-input.js';
import { batchResultSchema, recordBatch } from '../record-batch.js';
import { callerKeyId } from '../request-auth.js';
import {
  eventGateRequest,
  MAX_BATCH_EVENTS,
  usageBatchSchema,
  usageEventSchema,
} from '../usage-event-input.js';

// The two accepted shapes, told apart by the `events` field; each is then parsed strictly.
const batchEnvelopeSchema = z.strictObject({ events: z.array(z.unknown()).min(1).max(MAX_BATCH_EVENTS) });

function isBatch(body: unknown): boolean {
  return typeof body === 'object' && body !== null && !Array.isArray(body) && Object.hasOwn(body, 'events');
}

export function registerRecordRoutes(router: ApiRouter, tollgate: Tollgate): void {
  router.route({
    method: 'POST',
    url: '/api/v1/usage/record',
    access: 'customer',
    tag: 'usage',
    summary: 'Record usage: one event, or a batch of up to 1,000',
    description:
      'One event: debits `operation` x `quantity` and answers 200 with the figures, or the documented ' +
      'denial (403 account_suspended, 429 quota_exceeded or rate_limited) having recorded nothing. A ' +
      'retry with the same `idempotency_key` answers the same with `Idempotent-Replayed: true`; the key ' +
      'reused with another payload answers 409 conflict.\n\n' +
      'A batch `{events: [...]}`: every event is committed in one transaction and gets a result ' +
      '(`recorded`, `duplicate`, `denied`, `conflict` or `invalid`); batched events do not count ' +
      'against the request-rate limits.',
    body: z.unknown(),
    bodyDocument: z.union([usageEventSchema, usageBatchSchema]),
    errors: ['account_suspended', 'quota_exceeded', 'rate_limited', 'conflict'],
    response: {
      description: 'The recorded event (single) or a result per event (batch)',
      schema: z.union([recordResultSchema, batchResultSchema]),
      decisionHeaders: true,
    },
    async handler({ caller, body, reply }) {
      const started = performance.now();
      const now = tollgate.clock.now();
      if (isBatch(body)) {
        const { events } = parseInput(batchEnvelopeSchema, body);
        return recordBatch(tollgate, caller.customerId, events, callerKeyId(caller));
      }
      const event = parseInput(usageEventSchema, body);
      const request = eventGateRequest(event, now, true);
      const keyId = callerKeyId(caller);
      if (keyId !== undefined) request.keyId = keyId;
      const decision = await tollgate.consume(caller.customerId, request);
      sendDecisionHeaders(reply, decision, started);
      const input = { operation: event.operation, quantity: request.quantity ?? 1 };
      if (!decision.allowed) return reply.code(decision.status).send(deniedBody(decision));
      if (decision.replayed) reply.header('Idempotent-Replayed', 'true');
      return recordResultView(decision, input);
    },
  });
}
