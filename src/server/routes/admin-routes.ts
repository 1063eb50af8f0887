/**
 * The admin API: customers (create with a first key, list with usage, read one), keys (issue, revoke)
 * and reactivation by hand. Only an admin key gets here (the router answers 403 to a customer key).
 * Reactivation is audited in the log (an audit table comes with the admin console).
 */
import { z } from 'zod';
import { TollgateError } from '../../core/errors.js';
import type { Tollgate } from '../../core/tollgate.js';
import type { ApiRouter } from '../api-router.js';
import {
  apiKeySchema,
  apiKeyView,
  customerSchema,
  customerView,
  issuedKeySchema,
  issuedKeyView,
} from '../customer-view.js';
import {
  accountStatusSchema,
  creditUsageSchema,
  creditUsageView,
  usageSchema,
  usageView,
} from '../usage-view.js';

const idSchema = z.string().min(1).max(100);
const customerParams = z.strictObject({ id: idSchema.describe('Customer id') });
const keyName = z.string().min(1).max(100).describe('A label for the key');

const createCustomerBody = z.strictObject({
  external_id: z.string().min(1).max(200).optional().describe("The app's own id; unique"),
  email: z.email().max(254).optional(),
  name: z.string().min(1).max(200).optional(),
  plan: z.string().min(1).max(100).optional().describe('A plan of the catalog; default the default plan'),
  metadata: z
    .record(z.string().min(1).max(40), z.string().max(500))
    .refine((value) => Object.keys(value).length <= 20, 'at most 20 keys')
    .optional(),
  key_name: keyName.optional(),
});

const listQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20).describe('Page size, at most 100'),
  starting_after: idSchema.optional().describe('The last customer id of the previous page'),
  plan: z.string().min(1).max(100).optional(),
  status: accountStatusSchema.optional().describe('Matches the status on record'),
  search: z.string().min(1).max(200).optional().describe('Substring of id, external id, email or name'),
});

const customerWithUsage = customerSchema.extend({ usage: creditUsageSchema });

export function registerAdminRoutes(router: ApiRouter, tollgate: Tollgate): void {
  async function loadWithUsage(customerId: string) {
    const [customer, usage] = await Promise.all([
      tollgate.getCustomer(customerId),
      tollgate.usage(customerId),
    ]);
    return { customer, usage };
  }

  router.route({
    method: 'POST',
    url: '/api/v1/admin/customers',
    access: 'admin',
    tag: 'admin',
    summary: 'Create a customer and its first API key',
    description: 'The key is in this answer only; it is stored as a hash.',
    body: createCustomerBody,
    errors: ['conflict'],
    response: {
      status: 201,
      description: 'The customer and its key',
      schema: z.object({ customer: customerSchema, api_key: issuedKeySchema }),
    },
    async handler({ body }) {
      if (
        body.external_id !== undefined &&
        (await tollgate.store.getCustomerByExternalId(body.external_id))
      ) {
        throw new TollgateError('conflict', `A customer with external_id '${body.external_id}' exists.`);
      }
      const customer = await tollgate.createCustomer({
        externalId: body.external_id ?? null,
        email: body.email ?? null,
        name: body.name ?? null,
        ...(body.plan !== undefined ? { plan: body.plan } : {}),
        metadata: body.metadata ?? {},
      });
      const key = await tollgate.issueApiKey(customer.id, body.key_name ?? null);
      return { customer: customerView(customer, tollgate.access(customer)), api_key: issuedKeyView(key) };
    },
  });

  router.route({
    method: 'GET',
    url: '/api/v1/admin/customers',
    access: 'admin',
    tag: 'admin',
    summary: 'List customers with their usage',
    description: 'Ordered by id (creation time). Page with `starting_after` = the last id of a page.',
    query: listQuery,
    response: {
      description: 'A page of customers',
      schema: z.object({
        data: z.array(customerWithUsage),
        has_more: z.boolean(),
        next_starting_after: z.string().nullable(),
      }),
    },
    async handler({ query }) {
      const page = await tollgate.store.listCustomers({
        limit: query.limit,
        ...(query.starting_after !== undefined ? { after: query.starting_after } : {}),
        ...(query.plan !== undefined ? { plan: query.plan } : {}),
        ...(query.status !== undefined ? { status: query.status } : {}),
        ...(query.search !== undefined ? { search: query.search } : {}),
      });
      const data = await Promise.all(
        page.customers.map(async (customer) => {
          // tollgate.usage waits for pending commits, so the figures include usage just recorded.
          const usage = await tollgate.usage(customer.id);
          return { ...customerView(customer, usage.access), usage: creditUsageView(usage.access, usage) };
        }),
      );
      const last = page.customers.at(-1);
      return { data, has_more: page.hasMore, next_starting_after: page.hasMore && last ? last.id : null };
    },
  });

  router.route({
    method: 'GET',
    url: '/api/v1/admin/customers/:id',
    access: 'admin',
    tag: 'admin',
    summary: 'One customer with usage and keys',
    params: customerParams,
    errors: ['not_found'],
    response: {
      description: 'The customer',
      schema: z.object({ customer: customerSchema, usage: usageSchema, api_keys: z.array(apiKeySchema) }),
    },
    async handler({ params }) {
      const { customer, usage } = await loadWithUsage(params.id);
      const rates = await tollgate.check(customer.id, { countRequest: false });
      const keys = await tollgate.store.listApiKeys(customer.id);
      return {
        customer: customerView(customer, usage.access),
        usage: usageView(customer, usage.access, usage, rates.rate, tollgate.clock.now()),
        api_keys: keys.map(apiKeyView),
      };
    },
  });

  router.route({
    method: 'POST',
    url: '/api/v1/admin/customers/:id/keys',
    access: 'admin',
    tag: 'admin',
    summary: 'Issue an API key for a customer',
    description: 'The key is in this answer only.',
    params: customerParams,
    body: z.strictObject({ name: keyName.optional() }),
    errors: ['not_found'],
    response: { status: 201, description: 'The new key', schema: issuedKeySchema },
    async handler({ params, body }) {
      return issuedKeyView(await tollgate.issueApiKey(params.id, body.name ?? null));
    },
  });

  router.route({
    method: 'DELETE',
    url: '/api/v1/admin/keys/:id',
    access: 'admin',
    tag: 'admin',
    summary: 'Revoke an API key',
    description: 'At once on this instance; other instances stop accepting it within their key cache time.',
    params: z.strictObject({ id: idSchema.describe('Key id') }),
    errors: ['not_found'],
    response: {
      description: 'The key is revoked (revoking twice is harmless)',
      schema: z.object({ id: z.string(), revoked: z.literal(true) }),
    },
    async handler({ params }) {
      await tollgate.revokeApiKey(params.id);
      return { id: params.id, revoked: true as const };
    },
  });

  router.route({
    method: 'POST',
    url: '/api/v1/admin/customers/:id/reactivate',
    access: 'admin',
    tag: 'admin',
    summary: 'Clear a suspension by hand',
    description:
      'For a past_due or suspended customer: status active, payment failure cleared. Logged as an ' +
      'audit entry with the admin key and the reason. 409 for a customer that is not suspended.',
    params: customerParams,
    body: z.strictObject({ reason: z.string().min(1).max(500).optional() }),
    errors: ['not_found', 'conflict'],
    response: { description: 'The customer, reactivated', schema: z.object({ customer: customerSchema }) },
    async handler({ caller, params, body, request }) {
      const before = await tollgate.getCustomer(params.id);
      const previous = tollgate.access(before).status;
      if (before.status !== 'past_due' && before.status !== 'suspended') {
        throw new TollgateError('conflict', `The customer is ${previous}, not suspended.`);
      }
      const customer = await tollgate.updateCustomer(params.id, { status: 'active', paymentFailedAt: null });
      request.log.info(
        {
          audit: 'customer.reactivated',
          customer_id: customer.id,
          admin_key_id: caller.keyId ?? 'configured admin key',
          previous_status: previous,
          payment_failed_at: before.paymentFailedAt,
          reason: body.reason ?? null,
        },
        'customer reactivated by hand',
      );
      return { customer: customerView(customer, tollgate.access(customer)) };
    },
  });
}
