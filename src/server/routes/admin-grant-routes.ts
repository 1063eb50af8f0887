/**
 * The admin API of one-off grants: make one (credits or units of an operation, for the period or until
 * used), list a customer's grants with what is used and left, revoke what is unspent. Making and
 * revoking are audited: an audit row naming the admin key with the grant before and after, and a pino line.
 */
import { z } from 'zod';
import type { Tollgate } from '../../core/tollgate.js';
import type { ApiRouter } from '../api-router.js';
import { auditGrant, grantBodySchema, grantInput, grantSchema, grantView } from '../grant-view.js';
import { adminActor } from './admin-routes.js';

const idSchema = z.string().min(1).max(100);
const customerParams = z.strictObject({ id: idSchema.describe('Customer id') });

export function registerAdminGrantRoutes(router: ApiRouter, tollgate: Tollgate): void {
  router.route({
    method: 'POST',
    url: '/api/v1/admin/customers/:id/grants',
    access: 'admin',
    tag: 'admin',
    summary: 'Grant credits or operation units to a customer',
    description:
      'Spent before the plan quota, for the current period (`period`) or until used (`until_used`, ' +
      'carried into the next periods, optionally until `expires_at`). Give `credits`, or `operation` ' +
      "(one the customer's plan limits per month) and `quantity`. A retry with the same " +
      '`idempotency_key` returns the first grant (200); a different grant with it is a conflict. Audited.',
    params: customerParams,
    body: grantBodySchema,
    errors: ['not_found', 'conflict'],
    response: { status: 201, description: 'The grant', schema: z.object({ grant: grantSchema }) },
    async handler({ caller, params, body, request, reply }) {
      const actor = adminActor(caller);
      const { standing, created } = await tollgate.grant(params.id, {
        ...grantInput(body),
        createdBy: actor,
      });
      const grant = grantView(standing);
      if (!created) {
        reply.code(200);
        return { grant };
      }
      await auditGrant(tollgate, actor, 'grant.created', params.id, null, grant);
      request.log.info(
        { audit: 'grant.created', customer_id: params.id, grant_id: grant.id, actor },
        'Grant made',
      );
      return { grant };
    },
  });

  router.route({
    method: 'GET',
    url: '/api/v1/admin/customers/:id/grants',
    access: 'admin',
    tag: 'admin',
    summary: "A customer's grants",
    description:
      'Every grant, oldest first, with what is used and left now (credits, or units of its operation).',
    params: customerParams,
    errors: ['not_found'],
    response: { description: 'The grants', schema: z.object({ data: z.array(grantSchema) }) },
    async handler({ params }) {
      await tollgate.getCustomer(params.id);
      return { data: (await tollgate.grants(params.id)).map(grantView) };
    },
  });

  router.route({
    method: 'DELETE',
    url: '/api/v1/admin/customers/:id/grants/:grantId',
    access: 'admin',
    tag: 'admin',
    summary: 'Revoke what is unspent of a grant',
    description:
      'What was spent stays spent; what is left stops counting at once on this instance (others read ' +
      'the customer again within a second). Revoking twice changes nothing. Audited.',
    params: z.strictObject({ id: idSchema.describe('Customer id'), grantId: idSchema.describe('Grant id') }),
    errors: ['not_found'],
    response: { description: 'The grant, revoked', schema: z.object({ grant: grantSchema }) },
    async handler({ caller, params, request }) {
      const actor = adminActor(caller);
      const before = (await tollgate.grants(params.id)).find(
        (standing) => standing.grant.id === params.grantId,
      );
      const standing = await tollgate.revokeGrant(params.id, params.grantId, actor);
      const grant = grantView(standing);
      if (before !== undefined && before.grant.revokedAt === null) {
        await auditGrant(tollgate, actor, 'grant.revoked', params.id, grantView(before), grant);
        request.log.info(
          { audit: 'grant.revoked', customer_id: params.id, grant_id: grant.id, actor },
          'Grant revoked',
        );
      }
      return { grant };
    },
  });
}
