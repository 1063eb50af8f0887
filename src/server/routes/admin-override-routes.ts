/**
 * The admin API of a customer's overrides (its contract's limits and features): list, set one or
 * more in one transaction, remove one or all. Every change is audited (the admin key, each key's plan
 * value, before and after, the reason) in the same transaction, and the answer comes once every
 * instance's next request obeys it (see `Tollgate.invalidateCustomer`).
 */
import type { FastifyBaseLogger } from 'fastify';
import { z } from 'zod';
import type { OverrideChangeResult } from '../../core/ports.js';
import type { Tollgate } from '../../core/tollgate.js';
import type { ApiRouter } from '../api-router.js';
import {
  overrideEntries,
  overrideKeySchema,
  overrideSchema,
  overridesBodySchema,
  overrideView,
} from '../override-view.js';
import { adminActor } from './admin-routes.js';

const customerParams = z.strictObject({ id: z.string().min(1).max(100).describe('Customer id') });

const overridesSchema = z.object({
  customer_id: z.string(),
  plan: z.string().describe("The customer's plan, whose limits the overrides change"),
  overrides: z.array(overrideSchema).describe('Ordered by key; expired ones until removed'),
  audit_id: z.string().optional().describe('The audit entry of this change (on PUT and DELETE)'),
});

const reasonQuery = z.strictObject({
  reason: z.string().min(1).max(500).optional().describe('Kept in the audit trail'),
});

export function registerAdminOverrideRoutes(router: ApiRouter, tollgate: Tollgate): void {
  async function overridesOf(customerId: string, result?: OverrideChangeResult) {
    const customer = await tollgate.getCustomer(customerId);
    const now = tollgate.clock.now();
    const access = tollgate.access(customer);
    const overrides = result?.after ?? (await tollgate.listOverrides(customerId));
    return {
      customer_id: customer.id,
      plan: access.catalogPlan.id,
      overrides: overrides.map((override) => overrideView(access, override, now)),
      ...(result ? { audit_id: result.audit.id } : {}),
    };
  }

  function logChange(log: FastifyBaseLogger, result: OverrideChangeResult, adminKeyId: string | null) {
    log.info(
      {
        audit: result.audit.action,
        audit_id: result.audit.id,
        customer_id: result.audit.customerId,
        admin_key_id: adminKeyId ?? 'configured admin key',
      },
      'customer overrides changed',
    );
  }

  router.route({
    method: 'GET',
    url: '/api/v1/admin/customers/:id/overrides',
    access: 'admin',
    tag: 'admin',
    summary: "A customer's overrides of its plan",
    description:
      "Each with the override's value and the plan's (in the catalog's units), its expiry and whether " +
      'it is in force now (billing time).',
    params: customerParams,
    errors: ['not_found'],
    response: { description: 'The overrides', schema: overridesSchema },
    handler: ({ params }) => overridesOf(params.id),
  });

  router.route({
    method: 'PUT',
    url: '/api/v1/admin/customers/:id/overrides',
    access: 'admin',
    tag: 'admin',
    summary: "Set overrides of a customer's limits or features",
    description:
      'Any limit of the plan (credits, request rates, concurrency, storage, operation windows and ' +
      'their overage, the overage and its spending cap) and any feature, in the names and units of ' +
      'GET /api/v1/plans; null or "unlimited" = no limit. All are written in one transaction with ' +
      'their audit entry, or none (400 names every problem). Others are kept. `expires_at` (billing ' +
      'time) ends them: from that instant the plan applies again. Answers once the next request on ' +
      'every instance obeys them.',
    params: customerParams,
    body: overridesBodySchema,
    errors: ['not_found'],
    response: { description: 'The overrides after the change', schema: overridesSchema },
    async handler({ caller, params, body, request }) {
      const result = await tollgate.setOverrides(
        params.id,
        {
          set: overrideEntries(body),
          expiresAt: body.expires_at == null ? null : Date.parse(body.expires_at),
          reason: body.reason ?? null,
        },
        adminActor(caller),
      );
      logChange(request.log, result, caller.keyId);
      return overridesOf(params.id, result);
    },
  });

  router.route({
    method: 'DELETE',
    url: '/api/v1/admin/customers/:id/overrides/:key',
    access: 'admin',
    tag: 'admin',
    summary: 'Remove one override of a customer',
    description: "The plan's value applies again; audited. 404 when the customer has no override of `key`.",
    params: customerParams.extend({ key: overrideKeySchema }),
    query: reasonQuery,
    errors: ['not_found'],
    response: { description: 'The overrides left', schema: overridesSchema },
    async handler({ caller, params, query, request }) {
      const result = await tollgate.removeOverrides(
        params.id,
        [params.key],
        adminActor(caller),
        query.reason ?? null,
      );
      logChange(request.log, result, caller.keyId);
      return overridesOf(params.id, result);
    },
  });
  router.route({
    method: 'DELETE',
    url: '/api/v1/admin/customers/:id/overrides',
    access: 'admin',
    tag: 'admin',
    summary: 'Remove every override of a customer',
    description: 'The plan applies again to every limit and feature; audited.',
    params: customerParams,
    query: reasonQuery,
    errors: ['not_found'],
    response: { description: 'No overrides left', schema: overridesSchema },
    async handler({ caller, params, query, request }) {
      const result = await tollgate.removeOverrides(
        params.id,
        'all',
        adminActor(caller),
        query.reason ?? null,
      );
      logChange(request.log, result, caller.keyId);
      return overridesOf(params.id, result);
    },
  });
}
