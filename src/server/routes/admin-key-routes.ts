/**
 * The admin API's keys: issue one for a customer (it may name its owner and carry its own limits,
 * docs/decisions/015), change its name, owner or limits, revoke it, and a customer's usage this period
 * by key. Every change is audited: a row in the audit log with the key before and after, and a pino line.
 */
import { z } from 'zod';
import type { Tollgate } from '../../core/tollgate.js';
import type { ApiRouter } from '../api-router.js';
import { apiKeySchema, apiKeyView, issuedKeySchema, issuedKeyView } from '../customer-view.js';
import {
  keyBreakdownSchema,
  keyBreakdownView,
  keyChangeAudit,
  keyChangeFrom,
  keyFieldsInputSchema,
  keyLimitsView,
} from '../team-key-view.js';
import { adminActor } from './admin-routes.js';

const idSchema = z.string().min(1).max(100);
const customerParams = z.strictObject({ id: idSchema.describe('Customer id') });

export function registerAdminKeyRoutes(router: ApiRouter, tollgate: Tollgate): void {
  router.route({
    method: 'POST',
    url: '/api/v1/admin/customers/:id/keys',
    access: 'admin',
    tag: 'admin',
    summary: 'Issue an API key for a customer',
    description:
      'The key is in this answer only. It may name its owner (a member) and carry its own limits inside ' +
      "the customer's: whole credits per period, requests per minute and per day.",
    params: customerParams,
    body: z.strictObject(keyFieldsInputSchema),
    errors: ['not_found'],
    response: { status: 201, description: 'The new key', schema: issuedKeySchema },
    async handler({ caller, params, body, request }) {
      const change = keyChangeFrom(body);
      const { name = null, ...team } = change;
      const issued = await tollgate.issueApiKey(params.id, name, team);
      const details = {
        keyId: issued.record.id,
        prefix: issued.record.prefix,
        name: issued.record.name,
        // Only when given, so a plain key's entry reads as it always has.
        ...(issued.record.owner ? { owner: issued.record.owner } : {}),
        ...(issued.record.limits ? { limits: keyLimitsView(issued.record.limits) } : {}),
      };
      await tollgate.store.appendAudit({
        at: tollgate.clock.now(),
        actor: adminActor(caller),
        action: 'api_key.issued',
        customerId: params.id,
        details,
      });
      request.log.info(
        {
          audit: 'api_key.issued',
          customer_id: params.id,
          admin_key_id: caller.keyId ?? 'configured admin key',
          key_id: issued.record.id,
        },
        'API key issued',
      );
      return issuedKeyView(issued);
    },
  });

  router.route({
    method: 'DELETE',
    url: '/api/v1/admin/keys/:id',
    access: 'admin',
    tag: 'admin',
    summary: 'Revoke an API key',
    description: 'Answers once every instance refuses the key on its next request.',
    params: z.strictObject({ id: idSchema.describe('Key id') }),
    errors: ['not_found'],
    response: {
      description: 'The key is revoked (revoking twice is harmless)',
      schema: z.object({ id: z.string(), revoked: z.literal(true) }),
    },
    async handler({ caller, params, request }) {
      const key = await tollgate.revokeApiKey(params.id);
      await tollgate.store.appendAudit({
        at: tollgate.clock.now(),
        actor: adminActor(caller),
        action: 'api_key.revoked',
        customerId: key.customerId,
        details: { keyId: key.id, prefix: key.prefix, name: key.name },
      });
      request.log.info(
        {
          audit: 'api_key.revoked',
          customer_id: key.customerId,
          admin_key_id: caller.keyId ?? 'configured admin key',
          key_id: key.id,
        },
        'API key revoked',
      );
      return { id: params.id, revoked: true as const };
    },
  });

  router.route({
    method: 'PATCH',
    url: '/api/v1/admin/keys/:id',
    access: 'admin',
    tag: 'admin',
    summary: "Change a key's name, owner or limits",
    description:
      'Fields absent stay as they are; null removes a name, an owner or a limit (`limits: null` removes ' +
      'them all). Audited with the key before and after. Answers once every instance obeys it on its ' +
      'next request.',
    params: z.strictObject({ id: idSchema.describe('Key id') }),
    body: z
      .strictObject(keyFieldsInputSchema)
      .refine((body) => Object.keys(body).length > 0, 'give at least one of name, owner, limits'),
    errors: ['not_found'],
    response: { description: 'The key as changed', schema: apiKeySchema },
    async handler({ caller, params, body, request }) {
      const { before, after } = await tollgate.updateApiKey(params.id, keyChangeFrom(body));
      await tollgate.store.appendAudit(
        keyChangeAudit(before, after, adminActor(caller), tollgate.clock.now()),
      );
      request.log.info(
        {
          audit: 'api_key.updated',
          customer_id: after.customerId,
          admin_key_id: caller.keyId ?? 'configured admin key',
          key_id: after.id,
        },
        'API key changed',
      );
      return apiKeyView(after);
    },
  });

  router.route({
    method: 'GET',
    url: '/api/v1/admin/customers/:id/usage/keys',
    access: 'admin',
    tag: 'admin',
    summary: "A customer's usage this period by key",
    description:
      'Every key of the customer (revoked ones too) with the credits and events recorded through it this ' +
      'credit period, its owner and limits; usage recorded without a key is `unattributed`. The keys and ' +
      '`unattributed` add up to the period total.',
    params: customerParams,
    errors: ['not_found'],
    response: { description: 'Usage by key', schema: keyBreakdownSchema },
    async handler({ params }) {
      const [byKey, keys] = await Promise.all([
        tollgate.usageByKey(params.id),
        tollgate.store.listApiKeys(params.id),
      ]);
      return keyBreakdownView(
        params.id,
        { start: byKey.periodStart, end: byKey.periodEnd },
        keys,
        byKey.keys,
      );
    },
  });
}
