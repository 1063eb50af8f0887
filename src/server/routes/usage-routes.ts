/**
 * The customer's own figures: usage, entitlements, "would this be allowed?" and storage reports.
 * The customer is the key's customer, never one named in a path, query or body, so no route here can
 * reach another customer's data.
 */
import { z } from 'zod';
import { invalidRequest } from '../../core/errors.js';
import { addKeyWindows } from '../../core/gate/key-limits.js';
import { DAY_MS, MINUTE_MS } from '../../core/periods.js';
import type { RateWindow } from '../../core/ports.js';
import type { Tollgate } from '../../core/tollgate.js';
import {
  historyBucketCount,
  historyBucketMs,
  MAX_HISTORY_BUCKETS,
  usageHistory,
} from '../../core/usage-history.js';
import type { ApiRouter } from '../api-router.js';
import { checkResultSchema, checkResultView, sendDecisionHeaders } from '../decision-view.js';
import { contractSchema, contractView } from '../override-view.js';
import { limitsSchema, limitsView, overageSchema, overageView } from '../plan-view.js';
import { callerKeyId } from '../request-auth.js';
import { keyStandingSchema, keyStandingView } from '../team-key-view.js';
import { operationSchema, quantitySchema } from '../usage-event-input.js';
import {
  accountStatusSchema,
  operationsUsageSchema,
  operationsUsageView,
  usageSchema,
  usageView,
} from '../usage-view.js';
import { credits, creditsSchema, isoTime, isoTimeSchema } from '../wire-format.js';

const entitlementsSchema = z.object({
  customer_id: z.string(),
  subscription_tier: z.string(),
  plan_name: z.string(),
  status: accountStatusSchema,
  serviceable: z.boolean().describe('False when gated requests are refused (account suspended)'),
  features: z.record(z.string(), z.boolean()).describe('Every declared feature: included in the plan or not'),
  limits: limitsSchema,
  overage: overageSchema,
  operation_costs: z.record(z.string(), creditsSchema).describe('Credit cost of one unit of each operation'),
  operations: operationsUsageSchema,
  contract: contractSchema,
});

const storageBodySchema = z.strictObject({
  bytes: z.number().int().min(0).describe('Bytes stored now (absolute, not a delta)'),
  items: z.number().int().min(0).describe('Items stored now (absolute, not a delta)'),
});

const storageResultSchema = z.object({
  storage_bytes: z.number().int(),
  storage_bytes_limit: z.number().int().nullable(),
  storage_items: z.number().int(),
  storage_items_limit: z.number().int().nullable(),
  over_limit: z.boolean().describe('Requests that add storage are refused (507) until usage drops'),
});

const historySchema = z.object({
  period_start: isoTimeSchema,
  period_end: isoTimeSchema,
  bucket: z.enum(['day', 'hour']),
  data: z.array(
    z.object({
      start: isoTimeSchema.describe('Start of the bucket; buckets are aligned on the period start'),
      credits: creditsSchema.describe('Credits of the events counted in the bucket'),
      events: z.number().int().describe('Usage events counted in the bucket'),
    }),
  ),
});

export function registerUsageRoutes(router: ApiRouter, tollgate: Tollgate): void {
  router.route({
    method: 'GET',
    url: '/api/v1/usage',
    access: 'customer',
    sessions: true,
    tag: 'usage',
    summary: "The customer's usage this period",
    description:
      'Credits, request windows, storage, account status, every operation by window and the one-off ' +
      'grants usable now, as of now. `monthly_limit` is the plan quota; `quota_remaining` counts what is ' +
      "left of grants too. `key` when the calling key has limits of its own: the key's usage this period " +
      'and its limits.',
    response: {
      description: 'Usage figures',
      schema: usageSchema.extend({ key: keyStandingSchema.optional() }),
    },
    async handler({ caller }) {
      const now = tollgate.clock.now();
      const keyId = callerKeyId(caller);
      const [usage, rates, customer, operations, grants, key] = await Promise.all([
        tollgate.usage(caller.customerId),
        // A check with no operation counts nothing and reads the request windows as the gate sees them.
        tollgate.check(caller.customerId, { countRequest: false }),
        tollgate.getCustomer(caller.customerId),
        tollgate.operationUsage(caller.customerId),
        tollgate.grants(caller.customerId),
        keyId === undefined ? undefined : tollgate.getApiKey(keyId),
      ]);
      const view = usageView(customer, usage.access, usage, rates.rate, now, operations, grants);
      if (!key?.limits) return view;
      // tollgate.usage has waited for pending commits: the key's events are all counted.
      const windows: RateWindow[] = [];
      addKeyWindows(windows, key.id, key.limits, tollgate.rateClock.now());
      const [byKey, counts] = await Promise.all([
        tollgate.store.sumUsageByKey(caller.customerId, usage.access.period.start),
        windows.length === 0 ? [] : tollgate.counters.peekRate(windows),
      ]);
      const countOf = (windowMs: number) => {
        const index = windows.findIndex((window) => window.windowMs === windowMs);
        return index < 0 ? null : (counts[index] ?? 0);
      };
      const used = byKey.find((row) => row.keyId === key.id)?.cost ?? 0;
      return {
        ...view,
        key: keyStandingView(key, used, { minute: countOf(MINUTE_MS), day: countOf(DAY_MS) }),
      };
    },
  });

  router.route({
    method: 'GET',
    url: '/api/v1/usage/history',
    access: 'customer',
    sessions: true,
    tag: 'usage',
    summary: "The customer's usage this period, by day or hour",
    description:
      `Every bucket from the period start to now (or the period end), zeros included, at most ${MAX_HISTORY_BUCKETS}: ` +
      'hour buckets of a longer stretch answer 400. Events are counted when recorded, so the buckets add ' +
      "up to the period's `credits_used`.",
    query: z.strictObject({
      bucket: z.enum(['day', 'hour']).default('day').describe('Bucket size; default day'),
    }),
    response: { description: 'Usage per bucket', schema: historySchema },
    async handler({ caller, query }) {
      // tollgate.usage waits for pending commits, so usage just recorded is in the buckets.
      const { access } = await tollgate.usage(caller.customerId);
      const bucketMs = historyBucketMs[query.bucket];
      const count = historyBucketCount(access.period, tollgate.clock.now(), bucketMs);
      if (count > MAX_HISTORY_BUCKETS)
        throw invalidRequest([
          {
            path: 'bucket',
            message: `${count} ${query.bucket} buckets is more than ${MAX_HISTORY_BUCKETS}; use day`,
          },
        ]);
      const buckets = await usageHistory(tollgate.store, caller.customerId, access.period, count, bucketMs);
      return {
        period_start: isoTime(access.period.start),
        period_end: isoTime(access.period.end),
        bucket: query.bucket,
        data: buckets.map((bucket) => ({
          start: isoTime(bucket.start),
          credits: credits(bucket.credits),
          events: bucket.events,
        })),
      };
    },
  });

  router.route({
    method: 'GET',
    url: '/api/v1/entitlements',
    access: 'customer',
    sessions: true,
    tag: 'usage',
    summary: 'Features and limits of the current plan, with its contract overrides',
    description:
      "`features`, `limits` and `overage` are the effective ones: the plan's, changed by the overrides " +
      "of the customer's contract in force now; `contract` lists those overrides with the plan's own value.",
    response: { description: 'Entitlements', schema: entitlementsSchema },
    async handler({ caller }) {
      const [customer, operations] = await Promise.all([
        tollgate.getCustomer(caller.customerId),
        tollgate.operationUsage(caller.customerId),
      ]);
      const access = tollgate.access(customer);
      const { catalog } = tollgate;
      const featureIds = new Set([...Object.keys(catalog.features), ...access.plan.features]);
      return {
        customer_id: customer.id,
        subscription_tier: access.plan.id,
        plan_name: access.plan.name,
        status: access.status,
        serviceable: access.serviceable,
        features: Object.fromEntries([...featureIds].map((id) => [id, access.plan.features.includes(id)])),
        limits: limitsView(access.plan.limits),
        overage: overageView(access.plan),
        operation_costs: Object.fromEntries(
          Object.values(catalog.operations).map((operation) => [operation.id, credits(operation.cost)]),
        ),
        operations: operationsUsageView(operations),
        contract: contractView(access),
      };
    },
  });

  router.route({
    method: 'POST',
    url: '/api/v1/usage/check',
    access: 'customer',
    tag: 'usage',
    summary: 'Would this operation be allowed now?',
    description:
      'Answers 200 with `allowed` and, when not, the `reason` (the error code a record would get). ' +
      'Counts and debits nothing; the decision headers are set as on a gated request.',
    body: z.strictObject({ operation: operationSchema, quantity: quantitySchema.optional() }),
    response: { description: 'The decision', schema: checkResultSchema, decisionHeaders: true },
    async handler({ caller, body, reply }) {
      const started = performance.now();
      const quantity = body.quantity ?? 1;
      const keyId = callerKeyId(caller);
      const decision = await tollgate.check(caller.customerId, {
        operation: body.operation,
        quantity,
        ...(keyId !== undefined && { keyId }),
      });
      sendDecisionHeaders(reply, decision, started);
      return checkResultView(decision, { operation: body.operation, quantity });
    },
  });

  router.route({
    method: 'POST',
    url: '/api/v1/usage/storage',
    access: 'customer',
    tag: 'usage',
    summary: "Report the customer's current storage",
    description:
      'Absolute figures, not deltas, so a repeated report is harmless. A report past the limit is ' +
      'recorded (it is a fact); requests that would add storage are then refused with 507.',
    body: storageBodySchema,
    response: { description: 'Storage as recorded, with limits', schema: storageResultSchema },
    async handler({ caller, body }) {
      const customer = await tollgate.setStorage(caller.customerId, { bytes: body.bytes, items: body.items });
      const { storageBytes, storageItems } = tollgate.access(customer).plan.limits;
      return {
        storage_bytes: customer.storageBytes,
        storage_bytes_limit: storageBytes,
        storage_items: customer.storageItems,
        storage_items_limit: storageItems,
        over_limit:
          (storageBytes !== null && customer.storageBytes > storageBytes) ||
          (storageItems !== null && customer.storageItems > storageItems),
      };
    },
  });
}
