/**
 * The catalog file format (snake_case, as users write it in YAML or JSON) as a zod schema whose output
 * is the engine's normalized `Catalog`. Every object is strict, so a misspelt key is an error rather than
 * a silently ignored limit. Scalar values go through the readers in `catalog-values.ts`, which own the
 * unit conversions and the messages; rules that relate fields (declared features, the default plan,
 * Stripe ids against offered intervals) live in `check-catalog-rules.ts`.
 */
import { z } from 'zod';
import {
  type Catalog,
  OPERATION_WINDOWS,
  type Operation,
  type OperationLimit,
  type OperationWindow,
  type Plan,
} from './catalog.js';
import {
  readByteLimit,
  readCountLimit,
  readCreditLimit,
  readCredits,
  readInteger,
  readMoney,
  readOptionalMoney,
  readStripeId,
  readUpgradeUrl,
  type ValueResult,
} from './catalog-values.js';

/** Credits as a user writes them: `1`, `0.1`, `'0.001'`. */
export type CreditsInput = number | `${number}`;
/** "No limit" may be written `null` or `unlimited`; optional limits may also be left out. */
export type LimitInput<T> = T | 'unlimited' | null;
export type ByteUnit = 'B' | 'KB' | 'MB' | 'GB' | 'TB' | 'KiB' | 'MiB' | 'GiB' | 'TiB';
/** Bytes as an integer, or a number with a unit: `100MB`, `1.5 GiB`. */
export type ByteSizeInput = number | `${number}${ByteUnit}` | `${number} ${ByteUnit}`;

/**
 * A schema for one scalar: accepts any value at run time (typed as `In` for editors) and reads it with
 * `read`, so the reader's sentence, not zod's generic one, is what the user sees.
 */
function scalar<In, Out>(read: (value: unknown) => ValueResult<Out>) {
  return z.custom<In>().transform((value, context): Out => {
    const result: ValueResult<Out> = value === undefined ? { ok: false, message: 'required' } : read(value);
    if (result.ok) return result.value;
    context.addIssue({ code: 'custom', message: result.message, input: value });
    return z.NEVER;
  });
}

const credits = scalar<CreditsInput, number>(readCredits);
const countLimit = (minimum: 0 | 1) =>
  scalar<LimitInput<number>, number | null>((value) => readCountLimit(value, minimum)).default(null);
const optionalMoney = scalar<number | null, number | null>(readOptionalMoney).default(null);
const priceId = scalar<string | null, string | null>((value) => readStripeId(value, 'price_')).default(null);
const text = z.string().trim().min(1);

const operationObject = z.strictObject({ credits, description: text.nullable().default(null) });
const operationSchema = z
  .union([operationObject, credits])
  .transform((operation) =>
    typeof operation === 'number'
      ? { cost: operation, description: null }
      : { cost: operation.credits, description: operation.description },
  );

const requestsSchema = z.strictObject({ minute: countLimit(1), day: countLimit(1) });
const storageSchema = z.strictObject({
  bytes: scalar<LimitInput<ByteSizeInput>, number | null>(readByteLimit).default(null),
  items: countLimit(0),
});

const positiveMoney = scalar<number, number>((value) => readMoney(value, { positive: true }));
const optionalCap = scalar<number | null, number | null>((value) =>
  value === null ? { ok: true, value: null } : readMoney(value, { positive: true }),
).default(null);

const operationOverageSchema = z.strictObject({
  /** Minor units charged for each `per` units past the month limit. */
  price: positiveMoney,
  per: scalar<number, number>((value) => readInteger(value, 1)),
  /** Most minor units of this operation's overage per period; null = no cap. */
  cap: optionalCap,
});

/** Units of an operation per window; 0 = not included, null or unlimited = that window is not limited. */
const windowLimit = countLimit(0);
const operationLimitSchema = z.strictObject({
  minute: windowLimit,
  hour: windowLimit,
  day: windowLimit,
  month: windowLimit,
  overage: operationOverageSchema.nullable().default(null),
});

const limitsSchema = z.strictObject({
  /** Credits per billing period; required, because a forgotten quota must not mean "free for all". */
  credits: scalar<LimitInput<CreditsInput>, number | null>(readCreditLimit),
  requests: requestsSchema.default({ minute: null, day: null }),
  concurrent: countLimit(1),
  storage: storageSchema.default({ bytes: null, items: null }),
  /** Limits in the operation's own units, by operation id (declared in `operations`). */
  operations: z.record(z.string(), operationLimitSchema).default({}),
});

const overageSchema = z.strictObject({
  /** Minor units charged for each `per_credits` credits past the quota. */
  price: positiveMoney,
  per_credits: scalar<number, number>((value) => readInteger(value, 1)),
  /** Most minor units of overage per period; null = no cap. */
  cap: optionalCap,
});

const pricesSchema = z.strictObject({ month: optionalMoney, year: optionalMoney });
const stripeSchema = z.strictObject({
  product: scalar<string | null, string | null>((value) => readStripeId(value, null)).default(null),
  month: priceId,
  year: priceId,
  overage: priceId,
});

const planSchema = z.strictObject({
  name: text,
  description: text.nullable().default(null),
  prices: pricesSchema.default({ month: null, year: null }),
  trial_days: scalar<number, number>((value) => readInteger(value, 0, 730)).default(0),
  stripe: stripeSchema.default({ product: null, month: null, year: null, overage: null }),
  limits: limitsSchema,
  features: z.array(z.string()).default([]),
  overage: overageSchema.nullable().default(null),
});

const fileSchema = z.strictObject({
  currency: z
    .string()
    .regex(/^[a-z]{3}$/i, 'expected a 3-letter ISO 4217 currency code such as usd')
    .transform((code) => code.toLowerCase()),
  default_plan: z.string(),
  upgrade_url: scalar<string | null, string | null>(readUpgradeUrl).default(null),
  features: z.record(z.string(), text).default({}),
  operations: z.record(z.string(), operationSchema).default({}),
  exempt_routes: z.array(z.string().startsWith('/', 'expected a path starting with /')).default([]),
  plans: z.record(z.string(), planSchema),
});

/**
 * The catalog file: parses what users write and outputs the normalized `Catalog`. Use `parseCatalog`,
 * which adds the cross-field rules and readable errors; this is exported for tools (JSON Schema export).
 * @example
 * catalogSchema.safeParse(YAML.parse(text)).success;
 */
export const catalogSchema = fileSchema.transform(
  (file): Catalog => ({
    currency: file.currency,
    defaultPlan: file.default_plan,
    upgradeUrl: file.upgrade_url,
    plans: Object.entries(file.plans).map(([id, plan]) => toPlan(id, plan)),
    operations: Object.fromEntries(
      Object.entries(file.operations).map(([id, operation]): [string, Operation] => [
        id,
        { id, ...operation },
      ]),
    ),
    features: file.features,
    exemptRoutes: file.exempt_routes,
  }),
);

/**
 * What `defineCatalog` accepts: the file format as TypeScript, so editors complete keys and units.
 * @example
 * const input: CatalogInput = {
 *   currency: 'usd',
 *   default_plan: 'free',
 *   plans: { free: { name: 'Free', limits: { credits: 100 } } },
 * };
 */
export type CatalogInput = z.input<typeof catalogSchema>;

/** The objects of the format by where they sit (`*` = any id), for "did you mean" hints. */
const OBJECTS: [pattern: string[], fields: string[]][] = [
  [[], Object.keys(fileSchema.shape)],
  [['operations', '*'], Object.keys(operationObject.shape)],
  [['plans', '*'], Object.keys(planSchema.shape)],
  [['plans', '*', 'prices'], Object.keys(pricesSchema.shape)],
  [['plans', '*', 'stripe'], Object.keys(stripeSchema.shape)],
  [['plans', '*', 'limits'], Object.keys(limitsSchema.shape)],
  [['plans', '*', 'limits', 'requests'], Object.keys(requestsSchema.shape)],
  [['plans', '*', 'limits', 'storage'], Object.keys(storageSchema.shape)],
  [['plans', '*', 'limits', 'operations', '*'], Object.keys(operationLimitSchema.shape)],
  [['plans', '*', 'limits', 'operations', '*', 'overage'], Object.keys(operationOverageSchema.shape)],
  [['plans', '*', 'overage'], Object.keys(overageSchema.shape)],
];

/**
 * The fields the format allows in the object at `path`, or none when `path` is not an object of it.
 * @example knownFields(['plans', 'pro', 'limits']); // ['credits', 'requests', 'concurrent', 'storage']
 */
export function knownFields(path: readonly PropertyKey[]): string[] {
  const match = OBJECTS.find(
    ([pattern]) =>
      pattern.length === path.length && pattern.every((part, index) => part === '*' || part === path[index]),
  );
  return match?.[1] ?? [];
}

function toPlan(id: string, plan: z.output<typeof planSchema>): Plan {
  return {
    id,
    name: plan.name,
    description: plan.description,
    prices: plan.prices,
    trialDays: plan.trial_days,
    stripe: {
      productId: plan.stripe.product,
      monthlyPriceId: plan.stripe.month,
      yearlyPriceId: plan.stripe.year,
      overagePriceId: plan.stripe.overage,
    },
    limits: {
      credits: plan.limits.credits,
      requestsPerMinute: plan.limits.requests.minute,
      requestsPerDay: plan.limits.requests.day,
      concurrentRequests: plan.limits.concurrent,
      storageBytes: plan.limits.storage.bytes,
      storageItems: plan.limits.storage.items,
      operations: Object.fromEntries(
        Object.entries(plan.limits.operations).map(([id, limit]) => [id, toOperationLimit(limit)]),
      ),
    },
    features: plan.features,
    overage:
      plan.overage === null
        ? null
        : {
            unitAmount: plan.overage.price,
            unitCredits: plan.overage.per_credits,
            capAmount: plan.overage.cap,
          },
  };
}

function toOperationLimit(limit: z.output<typeof operationLimitSchema>): OperationLimit {
  const windows: Partial<Record<OperationWindow, number>> = {};
  for (const window of OPERATION_WINDOWS) {
    const value = limit[window];
    if (value !== null) windows[window] = value;
  }
  const { overage } = limit;
  return {
    windows,
    overage:
      overage === null
        ? null
        : { unitAmount: overage.price, unitQuantity: overage.per, capAmount: overage.cap },
  };
}
