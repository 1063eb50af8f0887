/**
 * POST /api/v1/webhooks/stripe: Stripe's signed events, handed to the webhook inbox as the exact bytes
 * received (the signature covers them) with the body parsed from them once. No API key: the signature
 * is the authentication. The answer is
 * the inbox's: 200 applied or duplicate, 400 bad or stale signature (nothing stored), 500 when a
 * handler failed, so Stripe retries.
 */
import { z } from 'zod';
import { invalidRequest } from '../../core/errors.js';
import type { WebhookInbox } from '../../stripe/webhooks/webhook-inbox.js';
import type { ApiRouter } from '../api-router.js';
import { rawBodyOf } from '../raw-body.js';

export const STRIPE_WEBHOOK_PATH = '/api/v1/webhooks/stripe';

// Validated for shape only; what the event says is trusted once its signature verifies.
const eventShape = z.looseObject({
  id: z.string().min(1).max(255).describe('Stripe event id (evt_...)'),
  type: z.string().min(1).max(255),
  created: z.number().int(),
  data: z.looseObject({ object: z.looseObject({}) }),
});

export function registerWebhookRoutes(router: ApiRouter, inbox: WebhookInbox): void {
  router.route({
    method: 'POST',
    url: STRIPE_WEBHOOK_PATH,
    access: 'public',
    tag: 'webhooks',
    summary: 'Receive a signed Stripe event',
    description:
      'Verified with the Stripe-Signature header against every configured secret (tolerance 300 s), ' +
      'stored by event id (a duplicate answers 200 and does nothing), then applied. A failure answers ' +
      '500 so Stripe retries.',
    body: eventShape,
    rawBody: true,
    errors: ['internal', 'store_unavailable'],
    response: {
      description: 'The event was applied, ignored (a type Tollgate does not use) or was a duplicate',
      schema: z.object({
        received: z.literal(true),
        duplicate: z.boolean().optional(),
        outcome: z.enum(['processed', 'ignored']).optional(),
      }),
    },
    async handler({ request, reply, body }) {
      const raw = rawBodyOf(request) ?? Buffer.alloc(0);
      const signature = request.headers['stripe-signature'];
      // The JSON body parsed from these bytes: the inbox verifies the bytes and does not parse them again.
      const answer = await inbox.receive(raw, typeof signature === 'string' ? signature : undefined, body);
      if (answer.status === 200) return answer.body as { received: true };
      if (answer.status === 400 && 'message' in answer.body)
        throw invalidRequest([{ path: 'stripe-signature', message: answer.body.message }]);
      return reply.code(answer.status).send(answer.body);
    },
  });
}
