/**
 * The shape a Stripe event must have to be applied, checked once its signature verified (what the
 * event says is trusted from then on). The event object itself is only checked to be an object: a
 * schema over its fields would copy every one of them per delivery, for nothing the handlers use.
 */
import { z } from 'zod';

const plainObject = (value: unknown): boolean =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export const stripeEventShape = z.looseObject({
  id: z.string().min(1).max(255).describe('Stripe event id (evt_...)'),
  type: z.string().min(1).max(255),
  created: z.number().int(),
  data: z.looseObject({
    object: z
      .custom<Record<string, unknown>>(plainObject, 'Expected an object')
      // The documented JSON Schema says what the check says (a custom check has no schema of its own).
      .meta({ type: 'object', description: 'The object the event is about (a subscription, an invoice...)' }),
  }),
});
