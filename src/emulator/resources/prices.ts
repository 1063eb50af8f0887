/**
 * Prices: `/v1/prices` create, retrieve, update, list. Recurring prices bill per month/year/week/day;
 * metered prices name a billing meter in `recurring.meter` and bill the meter's usage in arrears.
 */
import { wholeUnitAmount } from '../billing/price-amount.js';
import { changedFields, type Engine } from '../engine.js';
import { invalidRequest, missingParam } from '../errors.js';
import { newId } from '../ids.js';
import { paginate } from '../pagination.js';
import type { Params } from '../params.js';
import type { ApiHandler, Router } from '../router.js';
import { snapshotOf } from '../shapes.js';
import type { Plan, Price } from '../types.js';
import { createProduct } from './products.js';

export function registerPrices(api: Router<ApiHandler>): void {
  api
    .add('POST', '/v1/prices', (engine, request) => engine.view(createPrice(engine, request.params)))
    .add('GET', '/v1/prices', (engine, request) => {
      const { params } = request;
      const active = params.boolean('active');
      const product = params.string('product');
      const type = params.string('type');
      const currency = params.string('currency');
      const lookupKeys = params.strings('lookup_keys');
      const interval = params.object('recurring')?.string('interval');
      const prices = engine.store
        .all('price')
        .filter((price) => active === undefined || price.active === active)
        .filter((price) => product === undefined || price.product === product)
        .filter((price) => type === undefined || price.type === type)
        .filter((price) => currency === undefined || price.currency === currency)
        .filter(
          (price) =>
            lookupKeys.length === 0 || (price.lookup_key !== null && lookupKeys.includes(price.lookup_key)),
        )
        .filter((price) => interval === undefined || price.recurring?.interval === interval);
      return paginate(prices, params, '/v1/prices');
    })
    .add('GET', '/v1/prices/:id', (engine, request) =>
      engine.view(engine.require('price', request.pathParams.id!)),
    )
    .add('POST', '/v1/prices/:id', (engine, request) =>
      updatePrice(engine, request.pathParams.id!, request.params),
    );
}

/** Creates a price from `params` (also used for `price_data` and `default_price_data`). */
export function createPrice(engine: Engine, params: Params, productId?: string): Price {
  let product = productId ?? params.string('product');
  const productData = params.object('product_data');
  if (product === undefined && productData) product = createProduct(engine, productData).id;
  if (product === undefined) throw missingParam('product');
  engine.require('product', product, 'product');
  const currency = params.requiredString('currency').toLowerCase();
  const decimal = params.string('unit_amount_decimal');
  if (decimal !== undefined && !/^\d+(\.\d{1,12})?$/.test(decimal)) {
    throw invalidRequest(
      'Invalid decimal: unit_amount_decimal must have at most 12 decimal places.',
      'unit_amount_decimal',
    );
  }
  const integerAmount = params.integer('unit_amount');
  // A decimal price keeps its decimal; `unit_amount` is null when it has a fractional part, as in Stripe.
  const unitAmount = integerAmount ?? (decimal === undefined ? undefined : wholeUnitAmount(decimal));
  const unitAmountDecimal = integerAmount !== undefined ? String(integerAmount) : (decimal ?? null);
  const billingScheme = params.oneOf('billing_scheme', ['per_unit', 'tiered'] as const) ?? 'per_unit';
  if (unitAmountDecimal === null && billingScheme === 'per_unit' && !params.has('custom_unit_amount')) {
    throw invalidRequest(
      'You must pass either `unit_amount` or `unit_amount_decimal` or `custom_unit_amount`.',
      'unit_amount',
    );
  }
  if (unitAmount !== undefined && unitAmount !== null && unitAmount < 0)
    throw invalidRequest('Invalid unit_amount: must be >= 0', 'unit_amount');
  const recurring = params.object('recurring');
  let recurringValue: Price['recurring'] = null;
  if (recurring) {
    const meter = recurring.string('meter') ?? null;
    if (meter !== null) engine.require('billing.meter', meter, 'recurring[meter]');
    const usageType =
      recurring.oneOf('usage_type', ['licensed', 'metered'] as const) ?? (meter ? 'metered' : 'licensed');
    if (usageType === 'metered' && meter === null) {
      throw invalidRequest(
        'Metered prices must be backed by a meter. Pass `recurring[meter]`.',
        'recurring[meter]',
      );
    }
    recurringValue = {
      interval:
        recurring.oneOf('interval', ['day', 'week', 'month', 'year'] as const) ??
        missing('recurring[interval]'),
      interval_count: recurring.integer('interval_count') ?? 1,
      meter,
      trial_period_days: recurring.integer('trial_period_days') ?? null,
      usage_type: usageType,
    };
  }
  const lookupKey = params.string('lookup_key') ?? null;
  if (lookupKey !== null) {
    const existing = engine.store.all('price').find((price) => price.lookup_key === lookupKey);
    if (existing) {
      if (params.boolean('transfer_lookup_key') !== true) {
        throw invalidRequest(
          `A price (\`${existing.id}\`) already uses that lookup key.`,
          'lookup_key',
          'lookup_key_already_exists',
        );
      }
      existing.lookup_key = null;
    }
  }
  const price: Price = {
    id: newId('price', 24),
    object: 'price',
    active: params.boolean('active') ?? true,
    billing_scheme: billingScheme,
    created: engine.realNow(),
    currency,
    custom_unit_amount: null,
    livemode: false,
    lookup_key: lookupKey,
    metadata: params.metadata() ?? {},
    nickname: params.string('nickname') ?? null,
    product,
    recurring: recurringValue,
    tax_behavior:
      params.oneOf('tax_behavior', ['exclusive', 'inclusive', 'unspecified'] as const) ?? 'unspecified',
    tiers_mode: null,
    transform_quantity: transformQuantity(params),
    type: recurringValue ? 'recurring' : 'one_time',
    unit_amount: unitAmount ?? null,
    unit_amount_decimal: unitAmountDecimal,
  };
  engine.store.insert<'price'>(price);
  engine.emit('price.created', price);
  return price;
}

/** `transform_quantity[divide_by]` and `[round]`: bill per package of units ("per 1,000"). */
function transformQuantity(params: Params): Price['transform_quantity'] {
  const transform = params.object('transform_quantity');
  if (transform === undefined) return null;
  const divideBy = transform.integer('divide_by');
  if (divideBy === undefined) throw missingParam('transform_quantity[divide_by]');
  if (divideBy < 1)
    throw invalidRequest(
      'Invalid transform_quantity[divide_by]: must be >= 1',
      'transform_quantity[divide_by]',
    );
  const round = transform.oneOf('round', ['up', 'down'] as const);
  if (round === undefined) throw missingParam('transform_quantity[round]');
  return { divide_by: divideBy, round };
}

function missing(param: string): never {
  throw missingParam(param);
}

function updatePrice(engine: Engine, id: string, params: Params): Price {
  const price = engine.require('price', id);
  const before = snapshotOf(price);
  if (params.has('active')) price.active = params.boolean('active') ?? price.active;
  if (params.has('nickname')) price.nickname = params.nullableString('nickname') ?? null;
  if (params.has('lookup_key')) price.lookup_key = params.nullableString('lookup_key') ?? null;
  if (params.has('tax_behavior'))
    price.tax_behavior =
      params.oneOf('tax_behavior', ['exclusive', 'inclusive', 'unspecified'] as const) ?? null;
  const metadata = params.metadata(price.metadata);
  if (metadata) price.metadata = metadata;
  const previous = changedFields(before, price as unknown as Record<string, unknown>);
  if (Object.keys(previous).length > 0) {
    engine.store.touch();
    engine.emit('price.updated', price, previous);
  }
  return engine.view(price);
}

/** The legacy `plan` view of a recurring price, which subscription items and invoice lines still carry. */
export function planOf(price: Price): Plan {
  const recurring = price.recurring;
  return {
    id: price.id,
    object: 'plan',
    active: price.active,
    amount: price.unit_amount,
    amount_decimal: price.unit_amount_decimal,
    billing_scheme: price.billing_scheme,
    created: price.created,
    currency: price.currency,
    interval: recurring?.interval ?? 'month',
    interval_count: recurring?.interval_count ?? 1,
    livemode: false,
    metadata: price.metadata,
    meter: recurring?.meter ?? null,
    nickname: price.nickname,
    product: typeof price.product === 'string' ? price.product : price.product.id,
    tiers_mode: price.tiers_mode,
    transform_usage: null,
    trial_period_days: recurring?.trial_period_days ?? null,
    usage_type: recurring?.usage_type ?? 'licensed',
  };
}
