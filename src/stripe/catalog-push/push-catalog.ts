/**
 * `tollgate plans push`: makes Stripe hold the catalog. Per plan a product (`metadata.tollgate_plan`),
 * its monthly and yearly prices (lookup key `tollgate_<plan>_<interval>`), for plans with overage a
 * metered price (`tollgate_<plan>_overage`) on the credit-overage meter, and for each operation with
 * overage a metered price (`tollgate_<plan>_overage:<operation>`) on that operation's own meter
 * (`tollgate_op_<operation>`, one per operation, shared by the plans).
 *
 * It runs in phases: read what Stripe has, compute the changes (a pure function: `planCatalogPush`),
 * then, unless it is a dry run, apply them and record the ids in the store. Every mutating call has an
 * idempotency key derived from what it creates, and a second push finds everything by lookup key and
 * metadata, so it creates nothing. Stripe prices are immutable: a changed amount creates a new price
 * and moves the lookup key to it (`transfer_lookup_key`); subscriptions on the old price keep it.
 *
 * Overage is metered in milli-credits (what the meter sender reports), so the metered price is the
 * catalog's `unitAmount` per `unitCredits` credits expressed per milli-credit: an exact decimal
 * (`unit_amount_decimal`, up to 12 places: $0.10 per 1,000 credits is 0.00001 cents). When it has no
 * exact 12-place form, the price charges `unitAmount` per started `unitCredits * 1000` milli-credits
 * (`transform_quantity`, rounded up) instead. An operation's overage is metered in units of the
 * operation, so its price is `price` per `per` units expressed per unit, the same way.
 */
import Stripe from 'stripe';
import type { Catalog, Overage, Plan } from '../../core/catalog/catalog.js';
import type { BillingInterval, Store, StripeCatalogIds, StripePlanIds } from '../../core/ports.js';
import { DEFAULT_METER_EVENT_NAMES, operationEventName } from '../metering/meter-event-names.js';

export interface PushCatalogOptions {
  stripe: Stripe;
  catalog: Catalog;
  store: Store;
  /** Compute and return the changes without calling a mutating endpoint or writing the store. */
  dryRun?: boolean;
  /** The overage meter's event name (default `tollgate_overage`, what the meter sender sends). */
  meterEventName?: string;
  now?: () => number;
}

/** What a price bills: a plan interval, the credit overage, or an operation's overage. */
export type PriceKind = BillingInterval | 'overage' | `overage:${string}`;

export type CatalogChange =
  /** `operation` is set for an operation's meter, absent for the credit-overage meter. */
  | { action: 'create_meter'; eventName: string; operation?: string }
  | { action: 'create_product'; planId: string; name: string }
  | { action: 'update_product'; planId: string; productId: string; name: string }
  | {
      action: 'create_price';
      planId: string;
      kind: PriceKind;
      lookupKey: string;
      /** The price it replaces (its lookup key moves to the new one), if any. */
      replaces: string | null;
      description: string;
    };

export interface PushCatalogResult {
  dryRun: boolean;
  changes: CatalogChange[];
  /** Ids per plan after the push (in a dry run: the ones that exist already). */
  ids: StripeCatalogIds;
}

/** What Stripe holds that the push compares against. */
export interface StripeCatalogState {
  meterId: string | null;
  /** The meter of each operation with overage, by operation id. */
  operationMeterIds: Map<string, string>;
  /** Product per plan id (by `metadata.tollgate_plan`). */
  products: Map<string, { id: string; name: string; description: string | null }>;
  /** Active prices by lookup key. */
  prices: Map<string, Stripe.Price>;
}

interface PriceSpec {
  planId: string;
  kind: PriceKind;
  lookupKey: string;
  params: Omit<Stripe.PriceCreateParams, 'product'>;
  /** What must match for an existing price to be kept. */
  fingerprint: string;
  description: string;
}

/**
 * @example
 * const result = await pushCatalog({ stripe, catalog, store, dryRun: true });
 * for (const change of result.changes) console.log(describeChange(change));
 */
export async function pushCatalog(options: PushCatalogOptions): Promise<PushCatalogResult> {
  const { stripe, catalog, store } = options;
  const eventName = options.meterEventName ?? DEFAULT_METER_EVENT_NAMES.overage ?? 'tollgate_overage';
  const state = await readStripeCatalog(stripe, catalog, eventName);
  const changes = planCatalogPush(catalog, state, eventName);
  if (options.dryRun) return { dryRun: true, changes, ids: idsOf(catalog, state) };

  let meterId = state.meterId;
  const operationMeterIds = new Map(state.operationMeterIds);
  for (const change of changes) {
    if (change.action !== 'create_meter') continue;
    const meter = await stripe.billing.meters.create(
      {
        display_name:
          change.operation === undefined
            ? 'Tollgate overage (milli-credits)'
            : `Tollgate ${change.operation} overage (units)`,
        event_name: change.eventName,
        default_aggregation: { formula: 'sum' },
        customer_mapping: { type: 'by_id', event_payload_key: 'stripe_customer_id' },
        value_settings: { event_payload_key: 'value' },
      },
      { idempotencyKey: `tollgate:catalog:meter:${change.eventName}` },
    );
    if (change.operation === undefined) meterId = meter.id;
    else operationMeterIds.set(change.operation, meter.id);
  }
  const products = new Map(state.products);
  for (const change of changes) {
    const plan = catalog.plans.find((candidate) => candidate.id === (change as { planId?: string }).planId);
    if (plan === undefined) continue;
    if (change.action === 'create_product') {
      const product = await stripe.products.create(
        { name: plan.name, ...descriptionParam(plan), metadata: { tollgate_plan: plan.id } },
        { idempotencyKey: `tollgate:catalog:product:${plan.id}` },
      );
      products.set(plan.id, { id: product.id, name: product.name, description: product.description ?? null });
    } else if (change.action === 'update_product') {
      await stripe.products.update(
        change.productId,
        { name: plan.name, ...descriptionParam(plan) },
        {
          idempotencyKey: `tollgate:catalog:product:${plan.id}:${change.productId}:${hash(plan.name + (plan.description ?? ''))}`,
        },
      );
    }
  }
  const prices = new Map(state.prices);
  for (const change of changes) {
    if (change.action !== 'create_price') continue;
    const plan = catalog.plans.find((candidate) => candidate.id === change.planId)!;
    const spec = priceSpecs(catalog, plan, meterId ?? '', operationMeterIds).find(
      (candidate) => candidate.lookupKey === change.lookupKey,
    )!;
    const product = products.get(plan.id)!;
    const price = await stripe.prices.create(
      { ...spec.params, product: product.id, lookup_key: spec.lookupKey, transfer_lookup_key: true },
      // The price it replaces is part of the key: going back to an earlier amount is a new price again.
      {
        idempotencyKey: `tollgate:catalog:price:${spec.lookupKey}:${hash(spec.fingerprint)}:${change.replaces ?? 'none'}`,
      },
    );
    prices.set(spec.lookupKey, price);
  }

  const ids = idsOf(catalog, { meterId, operationMeterIds, products, prices });
  await store.saveStripeCatalogIds(ids, (options.now ?? Date.now)());
  return { dryRun: false, changes, ids };
}

/** Reads the meter, the plans' products and the prices under the catalog's lookup keys. */
export async function readStripeCatalog(
  stripe: Stripe,
  catalog: Catalog,
  eventName: string,
): Promise<StripeCatalogState> {
  const meters = new Map<string, string>();
  for await (const meter of stripe.billing.meters.list({ status: 'active', limit: 100 })) {
    meters.set(meter.event_name, meter.id);
  }
  const meterId = meters.get(eventName) ?? null;
  const operationMeterIds = new Map<string, string>();
  for (const operation of billedOperations(catalog)) {
    const id = meters.get(operationEventName(operation));
    if (id !== undefined) operationMeterIds.set(operation, id);
  }
  const planIds = new Set(catalog.plans.map((plan) => plan.id));
  const products = new Map<string, { id: string; name: string; description: string | null }>();
  for await (const product of stripe.products.list({ active: true, limit: 100 })) {
    const planId = product.metadata.tollgate_plan;
    // The oldest product of a plan wins (lists are newest first), so the choice is stable.
    if (planId !== undefined && planIds.has(planId)) {
      products.set(planId, { id: product.id, name: product.name, description: product.description ?? null });
    }
  }
  const lookupKeys = catalog.plans.flatMap((plan) =>
    [...(['month', 'year', 'overage'] as const), ...operationPriceKinds(plan)].map((kind) =>
      priceLookupKey(plan.id, kind),
    ),
  );
  const prices = new Map<string, Stripe.Price>();
  // Stripe takes at most 10 lookup keys per list call.
  for (let index = 0; index < lookupKeys.length; index += 10) {
    const page = await stripe.prices.list({
      lookup_keys: lookupKeys.slice(index, index + 10),
      active: true,
      limit: 100,
    });
    for (const price of page.data) if (price.lookup_key !== null) prices.set(price.lookup_key, price);
  }
  return { meterId, operationMeterIds, products, prices };
}

/** The changes that make Stripe hold the catalog, given what it holds. Pure: no I/O. */
export function planCatalogPush(
  catalog: Catalog,
  state: StripeCatalogState,
  eventName: string,
): CatalogChange[] {
  const changes: CatalogChange[] = [];
  if (state.meterId === null && catalog.plans.some((plan) => plan.overage !== null)) {
    changes.push({ action: 'create_meter', eventName });
  }
  for (const operation of billedOperations(catalog)) {
    if (!state.operationMeterIds.has(operation)) {
      changes.push({ action: 'create_meter', eventName: operationEventName(operation), operation });
    }
  }
  for (const plan of catalog.plans) {
    const product = state.products.get(plan.id);
    if (product === undefined) {
      changes.push({ action: 'create_product', planId: plan.id, name: plan.name });
    } else if (
      product.name !== plan.name ||
      (plan.description !== null && product.description !== plan.description)
    ) {
      changes.push({ action: 'update_product', planId: plan.id, productId: product.id, name: plan.name });
    }
    for (const spec of priceSpecs(catalog, plan, state.meterId ?? '', state.operationMeterIds)) {
      const existing = state.prices.get(spec.lookupKey);
      if (existing !== undefined && fingerprintOf(existing, spec.kind) === spec.fingerprint) continue;
      changes.push({
        action: 'create_price',
        planId: plan.id,
        kind: spec.kind,
        lookupKey: spec.lookupKey,
        replaces: existing?.id ?? null,
        description: spec.description,
      });
    }
  }
  return changes;
}

export function describeChange(change: CatalogChange): string {
  switch (change.action) {
    case 'create_meter':
      return `create billing meter '${change.eventName}' (sum of value)`;
    case 'create_product':
      return `create product for plan '${change.planId}' (${change.name})`;
    case 'update_product':
      return `update product ${change.productId} of plan '${change.planId}' (name ${change.name})`;
    case 'create_price':
      return `create price ${change.lookupKey}: ${change.description}${change.replaces ? ` (replaces ${change.replaces})` : ''}`;
  }
}

/** `:` never occurs in an id, so an operation's key (`tollgate_pro_overage:search`) never equals another. */
export function priceLookupKey(planId: string, kind: PriceKind): string {
  return `tollgate_${planId}_${kind}`;
}

/** Operations with overage in any plan, once each, sorted: each has its own meter. */
export function billedOperations(catalog: Catalog): string[] {
  const operations = new Set<string>();
  for (const plan of catalog.plans) {
    for (const [operation, limit] of Object.entries(plan.limits.operations)) {
      if (limit.overage !== null) operations.add(operation);
    }
  }
  return [...operations].sort();
}

function operationPriceKinds(plan: Plan): PriceKind[] {
  return Object.entries(plan.limits.operations)
    .filter(([, limit]) => limit.overage !== null)
    .map(([operation]): PriceKind => `overage:${operation}`);
}

/**
 * Recurring prices for intervals the plan sells (a price of 0 is the free tier: none), its credit
 * overage, and its operations' overage.
 */
function priceSpecs(
  catalog: Catalog,
  plan: Plan,
  meterId: string,
  operationMeterIds: ReadonlyMap<string, string>,
): PriceSpec[] {
  const specs: PriceSpec[] = [];
  for (const interval of ['month', 'year'] as const) {
    const amount = plan.prices[interval];
    if (amount === null || amount <= 0) continue;
    specs.push({
      planId: plan.id,
      kind: interval,
      lookupKey: priceLookupKey(plan.id, interval),
      params: {
        currency: catalog.currency,
        unit_amount: amount,
        recurring: { interval },
        metadata: { tollgate_plan: plan.id, tollgate_interval: interval },
      },
      fingerprint: `${catalog.currency}:${amount}:${interval}`,
      description: `${amount} ${catalog.currency} per ${interval}`,
    });
  }
  if (plan.overage !== null) {
    const pricing = overagePricing(plan.overage);
    const fingerprint = `${catalog.currency}:${pricing.key}:month:metered`;
    specs.push({
      planId: plan.id,
      kind: 'overage',
      lookupKey: priceLookupKey(plan.id, 'overage'),
      params: {
        currency: catalog.currency,
        ...pricing.params,
        recurring: { interval: 'month', usage_type: 'metered', meter: meterId },
        metadata: { tollgate_plan: plan.id, tollgate_kind: 'overage', tollgate_fingerprint: fingerprint },
      },
      fingerprint,
      description: `${plan.overage.unitAmount} ${catalog.currency} per ${plan.overage.unitCredits} credits of overage, metered`,
    });
  }
  for (const [operation, limit] of Object.entries(plan.limits.operations)) {
    if (limit.overage === null) continue;
    const kind: PriceKind = `overage:${operation}`;
    const pricing = meteredPricing(limit.overage.unitAmount, limit.overage.unitQuantity, 'unit');
    const fingerprint = `${catalog.currency}:${pricing.key}:month:metered:${operation}`;
    specs.push({
      planId: plan.id,
      kind,
      lookupKey: priceLookupKey(plan.id, kind),
      params: {
        currency: catalog.currency,
        ...pricing.params,
        recurring: {
          interval: 'month',
          usage_type: 'metered',
          meter: operationMeterIds.get(operation) ?? '',
        },
        nickname: `${plan.name}: ${operation} overage`,
        metadata: {
          tollgate_plan: plan.id,
          tollgate_kind: 'operation_overage',
          tollgate_operation: operation,
          tollgate_fingerprint: fingerprint,
        },
      },
      fingerprint,
      description: `${limit.overage.unitAmount} ${catalog.currency} per ${limit.overage.unitQuantity} ${operation} past the month limit, metered`,
    });
  }
  return specs;
}

interface MeteredPricing {
  key: string;
  params: Pick<Stripe.PriceCreateParams, 'unit_amount' | 'unit_amount_decimal' | 'transform_quantity'>;
}

/** The metered price per milli-credit, exact when it can be. */
export function overagePricing(overage: Overage): MeteredPricing {
  return meteredPricing(overage.unitAmount, overage.unitCredits * 1000, 'milli-credit');
}

/**
 * `amount` minor units per `per` metered units, as a price per metered unit: exact when it has a
 * 12-place decimal form, else `amount` per started `per` units.
 * @param unit names the metered unit in the fingerprint (kept stable: pushed prices carry it)
 */
export function meteredPricing(amount: number, per: number, unit: string): MeteredPricing {
  const decimal = exactDecimal(amount, per, 12);
  if (decimal !== null)
    return { key: `per-${unit}:${decimal}`, params: { unit_amount_decimal: Stripe.Decimal.from(decimal) } };
  return {
    key: `per-${per}:${amount}`,
    params: { unit_amount: amount, transform_quantity: { divide_by: per, round: 'up' } },
  };
}

/** numerator / denominator as a decimal string with at most `places` places, or null if it has no such form. */
export function exactDecimal(numerator: number, denominator: number, places: number): string | null {
  const scaled = BigInt(numerator) * 10n ** BigInt(places);
  if (scaled % BigInt(denominator) !== 0n) return null;
  const digits = (scaled / BigInt(denominator)).toString().padStart(places + 1, '0');
  const whole = digits.slice(0, -places);
  const fraction = digits.slice(-places).replace(/0+$/, '');
  return fraction === '' ? whole : `${whole}.${fraction}`;
}

/** Licensed prices compare on their fields (prices made elsewhere with our lookup key count); metered on our fingerprint. */
function fingerprintOf(price: Stripe.Price, kind: PriceKind): string {
  if (kind !== 'month' && kind !== 'year') return price.metadata.tollgate_fingerprint ?? '';
  return `${price.currency}:${price.unit_amount}:${price.recurring?.interval ?? 'one_time'}`;
}

function idsOf(catalog: Catalog, state: StripeCatalogState): StripeCatalogIds {
  const ids: StripeCatalogIds = {};
  for (const plan of catalog.plans) {
    const product = state.products.get(plan.id)?.id;
    const month = state.prices.get(priceLookupKey(plan.id, 'month'))?.id;
    const year = state.prices.get(priceLookupKey(plan.id, 'year'))?.id;
    const overage = plan.overage ? state.prices.get(priceLookupKey(plan.id, 'overage'))?.id : undefined;
    const operations: NonNullable<StripePlanIds['operations']> = {};
    for (const kind of operationPriceKinds(plan)) {
      const operation = kind.slice('overage:'.length);
      const price = state.prices.get(priceLookupKey(plan.id, kind))?.id;
      const meter = state.operationMeterIds.get(operation);
      if (price !== undefined && meter !== undefined) operations[operation] = { price, meter };
    }
    const entry = {
      ...(product && { product }),
      ...(month && plan.prices.month && { month }),
      ...(year && plan.prices.year && { year }),
      ...(overage && { overage }),
      ...(overage && state.meterId && { meter: state.meterId }),
      ...(Object.keys(operations).length > 0 && { operations }),
    };
    if (Object.keys(entry).length > 0) ids[plan.id] = entry;
  }
  return ids;
}

function descriptionParam(plan: Plan): { description?: string } {
  return plan.description === null ? {} : { description: plan.description };
}

/** A short, stable digest for idempotency keys (Stripe allows 255 characters). */
function hash(text: string): string {
  let value = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    value = Math.imul(value ^ text.charCodeAt(index), 0x01000193) >>> 0;
  }
  return value.toString(16).padStart(8, '0');
}
