/**
 * The catalog's public face: plans with prices, trial, limits, features and overage; operations with
 * their cost; declared features. Stripe ids stay private (they are configuration, not product).
 */
import { z } from 'zod';
import type { Catalog, Plan, PlanLimits } from '../core/catalog/catalog.js';
import { countLimitSchema, creditLimitSchema, credits, creditsSchema } from './wire-format.js';

export const limitsSchema = z.object({
  credits_per_month: creditLimitSchema,
  requests_per_minute: countLimitSchema,
  requests_per_day: countLimitSchema,
  concurrent_requests: countLimitSchema,
  storage_bytes: countLimitSchema,
  storage_items: countLimitSchema,
  operations: z
    .record(
      z.string(),
      z.object({
        minute: countLimitSchema,
        hour: countLimitSchema,
        day: countLimitSchema,
        month: countLimitSchema.describe('Per credit period'),
        overage: z
          .object({
            unit_amount: z
              .number()
              .int()
              .describe('Minor currency units per `per` units past the month limit'),
            per: z.number().int(),
            cap_amount: z.number().int().nullable().describe('Most overage money per period; null = no cap'),
          })
          .nullable()
          .describe('Units past the month limit billed per unit; null = the month limit is hard'),
      }),
    )
    .describe('Limits in units of the operations the plan limits (0 = not included); others: credits alone'),
});

export const overageSchema = z
  .object({
    unit_amount: z.number().int().describe('Minor currency units per unit_credits of overage'),
    unit_credits: z.number().int().describe('Whole credits each unit_amount buys'),
    cap_amount: z.number().int().nullable().describe('Most overage money per period; null = no cap'),
  })
  .nullable()
  .describe('Usage past the quota billed per unit; null = the quota is a hard limit');

export const planSchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  default: z.boolean().describe('The plan new customers start on'),
  currency: z.string(),
  prices: z.object({
    month: z.number().int().nullable().describe('Minor units; null = not offered'),
    year: z.number().int().nullable().describe('Minor units; null = not offered'),
  }),
  trial_days: z.number().int(),
  limits: limitsSchema,
  features: z.array(z.string()),
  overage: overageSchema,
});

export const plansSchema = z.object({
  currency: z.string(),
  plans: z.array(planSchema),
  operations: z.array(
    z.object({ id: z.string(), credits: creditsSchema, description: z.string().nullable() }),
  ),
  features: z.array(z.object({ id: z.string(), name: z.string() })),
});

export function limitsView(limits: PlanLimits): z.infer<typeof limitsSchema> {
  return {
    credits_per_month: credits(limits.credits),
    requests_per_minute: limits.requestsPerMinute,
    requests_per_day: limits.requestsPerDay,
    concurrent_requests: limits.concurrentRequests,
    storage_bytes: limits.storageBytes,
    storage_items: limits.storageItems,
    operations: Object.fromEntries(
      Object.entries(limits.operations).map(([operation, limit]) => [
        operation,
        {
          minute: limit.windows.minute ?? null,
          hour: limit.windows.hour ?? null,
          day: limit.windows.day ?? null,
          month: limit.windows.month ?? null,
          overage:
            limit.overage === null
              ? null
              : {
                  unit_amount: limit.overage.unitAmount,
                  per: limit.overage.unitQuantity,
                  cap_amount: limit.overage.capAmount,
                },
        },
      ]),
    ),
  };
}

export function overageView(plan: Plan): z.infer<typeof overageSchema> {
  if (plan.overage === null) return null;
  return {
    unit_amount: plan.overage.unitAmount,
    unit_credits: plan.overage.unitCredits,
    cap_amount: plan.overage.capAmount,
  };
}

export function planView(catalog: Catalog, plan: Plan): z.infer<typeof planSchema> {
  return {
    id: plan.id,
    name: plan.name,
    description: plan.description,
    default: plan.id === catalog.defaultPlan,
    currency: catalog.currency,
    prices: { month: plan.prices.month, year: plan.prices.year },
    trial_days: plan.trialDays,
    limits: limitsView(plan.limits),
    features: [...plan.features],
    overage: overageView(plan),
  };
}

export function plansView(catalog: Catalog): z.infer<typeof plansSchema> {
  return {
    currency: catalog.currency,
    plans: catalog.plans.map((plan) => planView(catalog, plan)),
    operations: Object.values(catalog.operations).map((operation) => ({
      id: operation.id,
      credits: credits(operation.cost),
      description: operation.description,
    })),
    features: Object.entries(catalog.features).map(([id, name]) => ({ id, name })),
  };
}
