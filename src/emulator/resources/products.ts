/**
 * Products: `/v1/products` create, retrieve, update, delete, list.
 */
import { changedFields, type Engine } from '../engine.js';
import { invalidRequest } from '../errors.js';
import { newId } from '../ids.js';
import { paginate } from '../pagination.js';
import type { Params } from '../params.js';
import type { ApiHandler, Router } from '../router.js';
import { snapshotOf } from '../shapes.js';
import type { Product } from '../types.js';
import { createPrice } from './prices.js';

export function registerProducts(api: Router<ApiHandler>): void {
  api
    .add('POST', '/v1/products', (engine, request) => createProduct(engine, request.params))
    .add('GET', '/v1/products', (engine, request) => {
      const { params } = request;
      const active = params.boolean('active');
      const ids = params.strings('ids');
      const products = engine.store
        .all('product')
        .filter((product) => active === undefined || product.active === active)
        .filter((product) => ids.length === 0 || ids.includes(product.id));
      return paginate(products, params, '/v1/products');
    })
    .add('GET', '/v1/products/:id', (engine, request) => {
      const id = request.pathParams.id!;
      if (engine.store.wasDeleted('product', id)) return { id, object: 'product', deleted: true };
      return engine.view(engine.require('product', id));
    })
    .add('POST', '/v1/products/:id', (engine, request) =>
      updateProduct(engine, request.pathParams.id!, request.params),
    )
    .add('DELETE', '/v1/products/:id', (engine, request) => {
      const id = request.pathParams.id!;
      const product = engine.require('product', id);
      if (engine.store.all('price').some((price) => price.product === id)) {
        throw invalidRequest(
          'This product cannot be deleted because it has one or more user-created prices.',
          'id',
        );
      }
      const view = engine.view(product);
      engine.store.remove(id);
      engine.emit('product.deleted', view);
      return { id, object: 'product', deleted: true };
    });
}

export function createProduct(engine: Engine, params: Params): Product {
  const id = params.string('id') ?? newId('prod');
  if (engine.get('product', id))
    throw invalidRequest(`Product already exists.`, 'id', 'resource_already_exists');
  const now = engine.realNow();
  const product: Product = {
    id,
    object: 'product',
    active: params.boolean('active') ?? true,
    created: now,
    default_price: null,
    description: params.string('description') ?? null,
    images: params.strings('images'),
    livemode: false,
    marketing_features: params
      .objects('marketing_features')
      .map((feature) => ({ name: feature.string('name') })),
    metadata: params.metadata() ?? {},
    name: params.requiredString('name'),
    package_dimensions: null,
    shippable: null,
    statement_descriptor: params.string('statement_descriptor') ?? null,
    tax_code: params.string('tax_code') ?? null,
    tax_details: null,
    type: 'service',
    unit_label: params.string('unit_label') ?? null,
    updated: now,
    url: params.string('url') ?? null,
  };
  engine.store.insert<'product'>(product);
  engine.emit('product.created', product);
  const priceData = params.object('default_price_data');
  if (priceData) {
    const price = createPrice(engine, priceData, product.id);
    product.default_price = price.id;
    engine.store.touch();
  }
  return engine.view(product);
}

function updateProduct(engine: Engine, id: string, params: Params): Product {
  const product = engine.require('product', id);
  const before = snapshotOf(product);
  if (params.has('name')) product.name = params.requiredString('name');
  if (params.has('description')) product.description = params.nullableString('description') ?? null;
  if (params.has('active')) product.active = params.boolean('active') ?? product.active;
  if (params.has('default_price')) {
    const priceId = params.nullableString('default_price') ?? null;
    if (priceId !== null) engine.require('price', priceId, 'default_price');
    product.default_price = priceId;
  }
  if (params.has('images')) product.images = params.strings('images');
  if (params.has('unit_label')) product.unit_label = params.nullableString('unit_label') ?? null;
  if (params.has('url')) product.url = params.nullableString('url') ?? null;
  if (params.has('statement_descriptor'))
    product.statement_descriptor = params.nullableString('statement_descriptor') ?? null;
  const metadata = params.metadata(product.metadata);
  if (metadata) product.metadata = metadata;
  const previous = changedFields(before, product as unknown as Record<string, unknown>);
  if (Object.keys(previous).length > 0) {
    product.updated = engine.realNow();
    engine.store.touch();
    engine.emit('product.updated', product, previous);
  }
  return engine.view(product);
}
