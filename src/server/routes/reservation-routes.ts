/**
 * Reservations over HTTP: `POST /api/v1/usage/reserve` holds the credits and operation units of work
 * whose size is known only afterwards (answered like `/usage/record`, or with its denial, holding
 * nothing); `.../reservations/:id/settle` records the actual usage and frees the hold;
 * `.../reservations/:id/release` frees it. A customer reaches only its own reservations.
 */
import { z } from 'zod';
import type { Reservation } from '../../core/ports.js';
import { MAX_RESERVATION_TTL_SECONDS } from '../../core/reservations.js';
import type { Tollgate } from '../../core/tollgate.js';
import type { ApiRouter } from '../api-router.js';
import { sendDecisionHeaders } from '../decision-view.js';
import { deniedBody } from '../gate-hook.js';
import { callerKeyId } from '../request-auth.js';
import { MAX_QUANTITY, operationSchema, quantitySchema } from '../usage-event-input.js';
import { credits, creditsSchema, isoTime, isoTimeSchema } from '../wire-format.js';

const reservationSchema = z.object({
  reservation_id: z.string(),
  status: z
    .enum(['held', 'settled', 'released', 'expired'])
    .describe('`expired`: held past `expires_at`, no longer counted nor settleable'),
  operation: z.string(),
  quantity: z.number().int().describe('Units held'),
  credits_held: creditsSchema.describe('Credits held (operation cost x quantity)'),
  expires_at: isoTimeSchema,
  settled_quantity: z.number().int().nullable(),
  event_id: z.string().nullable().describe('The usage event the settle recorded'),
});

function reservationView(reservation: Reservation): z.infer<typeof reservationSchema> {
  return {
    reservation_id: reservation.id,
    status: reservation.status,
    operation: reservation.operation,
    quantity: reservation.quantity,
    credits_held: credits(reservation.cost),
    expires_at: isoTime(reservation.expiresAt),
    settled_quantity: reservation.settledQuantity,
    event_id: reservation.eventId,
  };
}

const reservationParams = z.strictObject({ id: z.string().min(1).max(100).describe('Reservation id') });

export function registerReservationRoutes(router: ApiRouter, tollgate: Tollgate): void {
  router.route({
    method: 'POST',
    url: '/api/v1/usage/reserve',
    access: 'customer',
    tag: 'usage',
    summary: 'Reserve usage before doing work whose size is known only afterwards',
    description:
      'Holds `operation` x `quantity` against the credit quota and the operation limits, exactly like ' +
      'recorded usage (concurrent reserves and records cannot oversell), until settled, released or ' +
      `expired (\`ttl_seconds\`, default 300, at most ${MAX_RESERVATION_TTL_SECONDS}). A denial is the ` +
      'same as `/usage/record`’s and holds nothing. A retry with the same `idempotency_key` answers the ' +
      'same reservation.',
    body: z.strictObject({
      operation: operationSchema,
      quantity: quantitySchema,
      ttl_seconds: z.number().int().min(1).max(MAX_RESERVATION_TTL_SECONDS).optional(),
      idempotency_key: z.string().min(1).max(255).optional(),
    }),
    errors: ['account_suspended', 'feature_not_available', 'quota_exceeded', 'rate_limited', 'conflict'],
    response: { description: 'The reservation, held', schema: reservationSchema, decisionHeaders: true },
    async handler({ caller, body, reply }) {
      const started = performance.now();
      const { decision, reservation } = await tollgate.reserve(caller.customerId, {
        operation: body.operation,
        quantity: body.quantity,
        ...(body.ttl_seconds !== undefined && { ttlSeconds: body.ttl_seconds }),
        ...(body.idempotency_key !== undefined && { idempotencyKey: body.idempotency_key }),
        ...(callerKeyId(caller) !== undefined && { keyId: callerKeyId(caller) }),
      });
      sendDecisionHeaders(reply, decision, started);
      if (!decision.allowed || reservation === null)
        return reply.code(decision.status).send(deniedBody(decision));
      if (decision.replayed) reply.header('Idempotent-Replayed', 'true');
      return reservationView(reservation);
    },
  });

  router.route({
    method: 'POST',
    url: '/api/v1/usage/reservations/:id/settle',
    access: 'customer',
    tag: 'usage',
    summary: 'Settle a reservation with the actual usage',
    description:
      'Records `quantity` units of the reserved operation (0 records nothing billable) and frees the ' +
      'hold. Usage above the reservation is still recorded, and `over_limit` says when it took the ' +
      'quota or an operation limit past its limit. Settling again with the same quantity answers the ' +
      'first result (`Idempotent-Replayed: true`); another quantity, or a released or expired ' +
      'reservation, answers 409 conflict with its `status`.',
    params: reservationParams,
    body: z.strictObject({ quantity: z.number().int().min(0).max(MAX_QUANTITY) }),
    errors: ['not_found', 'conflict'],
    response: {
      description: 'The settled reservation and the recorded usage',
      schema: reservationSchema.extend({
        event_id: z.string(),
        credits_used: creditsSchema.describe('Credits used this period after the settle'),
        over_limit: z.boolean(),
      }),
    },
    async handler({ caller, params, body, reply }) {
      const settled = await tollgate.settle(params.id, body.quantity, caller.customerId, callerKeyId(caller));
      if (settled.replayed) reply.header('Idempotent-Replayed', 'true');
      return {
        ...reservationView(settled.reservation),
        event_id: settled.eventId,
        credits_used: credits(settled.used),
        over_limit: settled.overLimit,
      };
    },
  });

  router.route({
    method: 'POST',
    url: '/api/v1/usage/reservations/:id/release',
    access: 'customer',
    tag: 'usage',
    summary: 'Release a reservation without recording usage',
    description:
      'Frees the hold. Releasing again, or an expired reservation, answers it as it stands; a settled ' +
      'reservation answers 409 conflict.',
    params: reservationParams,
    body: z.strictObject({}).optional(),
    errors: ['not_found', 'conflict'],
    response: { description: 'The reservation', schema: reservationSchema },
    async handler({ caller, params }) {
      return reservationView(await tollgate.release(params.id, caller.customerId));
    },
  });
}
