/**
 * POST /api/v1/webhooks/stripe: Stripe's signed events, handed to the webhook inbox as the exact bytes
 * received (the signature covers them): the route keeps the body as bytes (`rawBody`), and the inbox
 * parses them once, after they verify, so an unsigned body is never parsed. No API key: the signature
 * is the authentication. The answer is the inbox's: 200 applied or duplicate, 400 bad or stale
 * signature or a verified body that is not an event (nothing stored), 500 when a handler failed, so
 * Stripe retries.
 */

import { z } from 'zod';
import { invalidRequest } from '../../core/errors.js';
import { stripeEventShape } from '../../stripe/webhooks/event-shape.js';
import type { WebhookInbox } from '../../stripe/webhooks/webhook-inbox.js';
import type { ApiRouter } from '../api-router.js';
import { rawBodyOf } from '../raw-body.js';

export const STRIPE_WEBHOOK_PATH = '/api/v1/webhooks/stripe';

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
    bodyDocument: stripeEventShape,
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
    async handler({ request, reply }) {
      const raw = rawBodyOf(request) ?? Buffer.alloc(0);
      const signature = request.headers['stripe-signature'];
      const answer = await inbox.receive(raw, typeof signature === 'string' ? signature : undefined);
      if (answer.status === 200) return answer.body as { received: true };
      if (answer.status === 400 && 'message' in answer.body)
        throw invalidRequest([
          { path: answer.body.path ?? 'stripe-signature', message: answer.body.message },
        ]);
      return reply.code(answer.status).send(answer.body);
    },
  });
}
