/**
 * The admin API: customers (create with a first key, list with usage, read one, its audit trail)
 * and reactivation by hand; keys are in admin-key-routes.ts. Only an admin key gets here (the router
 * answers 403 to a customer key). Reactivation is audited: a row in the audit log (the console reads
 * it) and a pino line.
 */
import { z } from 'zod';
import type { AuditEntry } from '../../core/billing/billing-records.js';
import { TollgateError } from '../../core/errors.js';
import type { CustomerFilter } from '../../core/ports.js';
import type { Tollgate } from '../../core/tollgate.js';
import type { ApiRouter, CallerOf } from '../api-router.js';
import {
  apiKeySchema,
  apiKeyView,
  customerSchema,
  customerView,
  issuedKeySchema,
  issuedKeyView,
} from '../customer-view.js';
import { overrideSchema, overrideView } from '../override-view.js';
import { keyUsageFigures, keyUsageFiguresSchema } from '../team-key-view.js';
import {
  accountStatusSchema,
  creditUsageSchema,
  creditUsageView,
  usageSchema,
  usageView,
} from '../usage-view.js';
import { isoTime, isoTimeSchema } from '../wire-format.js';

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
  status: accountStatusSchema
    .optional()
    .describe('Matches the status as it stands now (past_due past its grace period is suspended)'),
  search: z.string().min(1).max(200).optional().describe('Substring of id, external id, email or name'),
  sort: z
    .enum([
      'created',
      '-created',
      'id',
      '-id',
      'name',
      '-name',
      'email',
      '-email',
      'plan',
      '-plan',
      'status',
      '-status',
    ])
    .default('id')
    .describe(
      'The key to order by, `-` for descending: `created` (alias `id`; the default, oldest first), ' +
        '`name`, `email`, `plan`, `status` (as it stands now)',
    ),
});

type ListSort = z.infer<typeof listQuery>['sort'];

/** `sort` as the store takes it: the key (`id` is `created`) and the direction. */
function sortFilter(sort: ListSort): {
  sortBy: NonNullable<CustomerFilter['sortBy']>;
  order: 'asc' | 'desc';
} {
  const order = sort.startsWith('-') ? 'desc' : 'asc';
  const key = sort.replace(/^-/, '') as Exclude<ListSort, `-${string}`>;
  return { sortBy: key === 'id' ? 'created' : key, order };
}

const auditEntrySchema = z.object({
  id: z.string(),
  at: isoTimeSchema,
  actor: z.string().describe('`admin:<key id>`, `admin:configured`, `stripe` or `system`'),
  action: z.string().describe('e.g. customer.reactivated, api_key.issued, billing.status_changed'),
  details: z.record(z.string(), z.unknown()),
});

const auditEntryView = (entry: AuditEntry): z.input<typeof auditEntrySchema> => ({
  id: entry.id,
  at: isoTime(entry.at),
  actor: entry.actor,
  action: entry.action,
  details: entry.details,
});

/** Who an audit entry names for an admin call: the key id, or the configured key (TOLLGATE_ADMIN_KEY). */
export const adminActor = (caller: CallerOf<'admin'>): string => `admin:${caller.keyId ?? 'configured'}`;

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
    description:
      'Ordered by `sort`: by default `created` (the id, which follows creation time), oldest first; ' +
      '`-created` newest first; or by `name` or `email` (case-insensitive, customers without one ' +
      'first), `plan` or `status` (as it stands now: past_due out of grace sorts as suspended), with ' +
      '`-` for descending and the id breaking ties. `id`/`-id` are aliases of `created`/`-created`. ' +
      'Page with `starting_after` = the last id of a page, in the same `sort` and filters.',
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
      const { sortBy, order } = sortFilter(query.sort);
      const page = await tollgate.store.listCustomers({
        limit: query.limit,
        sortBy,
        order,
        ...(query.starting_after !== undefined ? { after: query.starting_after } : {}),
        ...(query.plan !== undefined ? { plan: query.plan } : {}),
        ...(query.status !== undefined ? { status: query.status } : {}),
        // The status as it stands now, to filter and to sort by: past_due out of grace is suspended.
        ...(query.status !== undefined || sortBy === 'status'
          ? { suspendedIfFailedBy: tollgate.clock.now() - tollgate.gracePeriodMs }
          : {}),
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
      schema: z.object({
        customer: customerSchema,
        usage: usageSchema,
        api_keys: z.array(
          apiKeySchema.extend({ usage: keyUsageFiguresSchema.describe('This credit period') }),
        ),
        overrides: z
          .array(overrideSchema)
          .describe('Its overrides of the plan, in force or expired (see /overrides)'),
      }),
    },
    async handler({ params }) {
      const { customer, usage } = await loadWithUsage(params.id);
      const [rates, keys, operations, overrides, grants, byKey] = await Promise.all([
        tollgate.check(customer.id, { countRequest: false }),
        tollgate.store.listApiKeys(customer.id),
        tollgate.operationUsage(customer.id),
        tollgate.listOverrides(customer.id),
        tollgate.grants(customer.id),
        tollgate.usageByKey(customer.id),
      ]);
      const now = tollgate.clock.now();
      const keyUsage = new Map(byKey.keys.map((row) => [row.keyId, row]));
      return {
        customer: customerView(customer, usage.access),
        usage: usageView(customer, usage.access, usage, rates.rate, now, operations, grants),
        api_keys: keys.map((key) => ({ ...apiKeyView(key), usage: keyUsageFigures(keyUsage.get(key.id)) })),
        overrides: overrides.map((override) => overrideView(usage.access, override, now)),
      };
    },
  });

  router.route({
    method: 'GET',
    url: '/api/v1/admin/customers/:id/events',
    access: 'admin',
    tag: 'admin',
    summary: "One customer's audit trail, newest first",
    description:
      'Reactivations, key issues and revocations, billing status changes. Page with `starting_after` = ' +
      'the last entry id of a page.',
    params: customerParams,
    query: z.strictObject({
      limit: z.coerce.number().int().min(1).max(100).default(20).describe('Page size, at most 100'),
      starting_after: idSchema.optional().describe('The last entry id of the previous page'),
    }),
    errors: ['not_found'],
    response: {
      description: 'A page of audit entries',
      schema: z.object({ data: z.array(auditEntrySchema), has_more: z.boolean() }),
    },
    async handler({ params, query }) {
      await tollgate.getCustomer(params.id);
      const page = await tollgate.store.listAudit({
        customerId: params.id,
        limit: query.limit,
        ...(query.starting_after !== undefined ? { after: query.starting_after } : {}),
      });
      return { data: page.entries.map(auditEntryView), has_more: page.hasMore };
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
      await tollgate.store.appendAudit({
        at: tollgate.clock.now(),
        actor: adminActor(caller),
        action: 'customer.reactivated',
        customerId: customer.id,
        details: {
          previousStatus: previous,
          paymentFailedAt: before.paymentFailedAt,
          reason: body.reason ?? null,
        },
      });
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
