/**
 * `pushCatalog` and `tollgate plans push` against the emulator (official SDK), on SQLite and
 * PostgreSQL: a first push creates the products, prices and meter and records their ids; a second
 * creates nothing; a dry run creates nothing; a changed amount makes a new price that takes over the
 * lookup key.
 */
import Stripe from 'stripe';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Backend, backends } from '../../../test/support/backends.js';
import { testCatalog } from '../../../test/support/test-catalog.js';
import { pushPlans } from '../../cli/plans-commands.js';
import { loadConfig } from '../../config/load-config.js';
import type { Catalog } from '../../core/catalog/catalog.js';
import { demoCatalog } from '../../core/catalog/demo-catalog.js';
import { type Emulator, startEmulator } from '../../emulator/index.js';
import { exactDecimal, meteredPricing, overagePricing, pushCatalog } from './push-catalog.js';

/** The test catalog with per-operation overage: `search` on pro and bulk (one meter), `capture` on pro. */
function operationOverageCatalog(): Catalog {
  const catalog = testCatalog();
  const plan = (id: string) => catalog.plans.find((candidate) => candidate.id === id)!;
  plan('pro').limits.operations = {
    search: { windows: { month: 1000 }, overage: { unitAmount: 10, unitQuantity: 1000, capAmount: null } },
    capture: {
      windows: { day: 50, month: 100 },
      overage: { unitAmount: 5, unitQuantity: 1, capAmount: 500 },
    },
  };
  plan('bulk').prices.month = 900;
  plan('bulk').limits.operations = {
    search: { windows: { month: 10 }, overage: { unitAmount: 1, unitQuantity: 3, capAmount: null } },
  };
  return catalog;
}

async function countObjects(stripe: Stripe) {
  const products = await stripe.products.list({ limit: 100 });
  const prices = await stripe.prices.list({ limit: 100 });
  const meters = await stripe.billing.meters.list({ limit: 100 });
  return { products: products.data.length, prices: prices.data.length, meters: meters.data.length };
}

describe('overage pricing', () => {
  it('is an exact price per milli-credit when one exists, else a price per started unit', () => {
    expect(exactDecimal(10, 1_000_000, 12)).toBe('0.00001');
    expect(exactDecimal(2900, 1000, 12)).toBe('2.9');
    expect(exactDecimal(10, 3_000_000, 12)).toBeNull();
    expect(overagePricing({ unitAmount: 10, unitCredits: 3000, capAmount: null }).params).toEqual({
      unit_amount: 10,
      transform_quantity: { divide_by: 3_000_000, round: 'up' },
    });
    // An operation's overage is priced per unit of the operation: $0.10 per 1,000 calls.
    expect(meteredPricing(10, 1000, 'unit')).toEqual({
      key: 'per-unit:0.01',
      params: { unit_amount_decimal: expect.anything() },
    });
    expect(String(meteredPricing(10, 1000, 'unit').params.unit_amount_decimal)).toBe('0.01');
  });
});

describe.each(backends)('pushCatalog on %s', (name, openBackend) => {
  let backend: Backend;
  let emulator: Emulator;
  let stripe: Stripe;

  beforeAll(async () => {
    emulator = await startEmulator({ tickIntervalMs: 0 });
    stripe = new Stripe(emulator.secretKey, { ...emulator.stripeConfig(), maxNetworkRetries: 0 });
  });
  afterAll(async () => {
    await emulator.close();
  });
  afterEach(async () => {
    emulator.reset();
    await backend?.cleanup();
  });

  it('creates products, prices and the overage meter once; a second push creates nothing', async () => {
    backend = await openBackend();
    const catalog = testCatalog();
    const first = await pushCatalog({ stripe, catalog, store: backend.store });
    // free, bulk, pro: 3 products; pro: month, year and overage prices; one meter.
    expect(await countObjects(stripe)).toEqual({ products: 3, prices: 3, meters: 1 });
    expect(first.changes.map((change) => change.action).sort()).toEqual([
      'create_meter',
      'create_price',
      'create_price',
      'create_price',
      'create_product',
      'create_product',
      'create_product',
    ]);
    const stored = await backend.store.getStripeCatalogIds();
    expect(stored).toEqual(first.ids);
    expect(stored.pro).toEqual({
      product: expect.stringMatching(/^prod_/),
      month: expect.stringMatching(/^price_/),
      year: expect.stringMatching(/^price_/),
      overage: expect.stringMatching(/^price_/),
      meter: expect.stringMatching(/^mtr_/),
    });
    const overage = await stripe.prices.retrieve(stored.pro!.overage!);
    expect(overage.recurring).toMatchObject({
      usage_type: 'metered',
      meter: stored.pro!.meter,
      interval: 'month',
    });
    expect(overage.lookup_key).toBe('tollgate_pro_overage');

    const second = await pushCatalog({ stripe, catalog, store: backend.store });
    expect(second.changes).toEqual([]);
    expect(second.ids).toEqual(first.ids);
    expect(await countObjects(stripe)).toEqual({ products: 3, prices: 3, meters: 1 });
  });

  it('creates one meter per operation with overage and a metered price per plan on it, once', async () => {
    backend = await openBackend();
    const catalog = operationOverageCatalog();
    const first = await pushCatalog({ stripe, catalog, store: backend.store });
    const meters = await stripe.billing.meters.list({ limit: 100 });
    expect(meters.data.map((meter) => meter.event_name).sort()).toEqual([
      'tollgate_op_capture',
      'tollgate_op_search',
      'tollgate_overage',
    ]);
    const ids = await backend.store.getStripeCatalogIds();
    expect(ids).toEqual(first.ids);
    expect(ids.pro?.operations).toEqual({
      capture: { price: expect.stringMatching(/^price_/), meter: expect.stringMatching(/^mtr_/) },
      search: { price: expect.stringMatching(/^price_/), meter: expect.stringMatching(/^mtr_/) },
    });
    // One meter per operation, shared by the plans; one price per plan.
    expect(ids.bulk?.operations?.search?.meter).toBe(ids.pro?.operations?.search?.meter);
    expect(ids.bulk?.operations?.search?.price).not.toBe(ids.pro?.operations?.search?.price);
    const search = await stripe.prices.retrieve(ids.pro!.operations!.search!.price);
    expect(search).toMatchObject({
      lookup_key: 'tollgate_pro_overage:search',
      recurring: { usage_type: 'metered', interval: 'month', meter: ids.pro!.operations!.search!.meter },
    });
    expect(String(search.unit_amount_decimal)).toBe('0.01');
    const capture = await stripe.prices.retrieve(ids.pro!.operations!.capture!.price);
    expect(capture).toMatchObject({
      unit_amount: 5,
      recurring: { meter: ids.pro!.operations!.capture!.meter },
    });
    const bulkSearch = await stripe.prices.retrieve(ids.bulk!.operations!.search!.price);
    expect(bulkSearch).toMatchObject({ unit_amount: 1, transform_quantity: { divide_by: 3, round: 'up' } });

    const counted = await countObjects(stripe);
    const second = await pushCatalog({ stripe, catalog, store: backend.store });
    expect(second.changes).toEqual([]);
    expect(second.ids).toEqual(first.ids);
    expect(await countObjects(stripe)).toEqual(counted);

    // A changed operation price makes a new price on the same meter.
    catalog.plans.find((plan) => plan.id === 'pro')!.limits.operations.capture!.overage!.unitAmount = 7;
    const third = await pushCatalog({ stripe, catalog, store: backend.store });
    expect(third.changes).toEqual([
      expect.objectContaining({ action: 'create_price', lookupKey: 'tollgate_pro_overage:capture' }),
    ]);
    expect(third.ids.pro!.operations!.capture!.meter).toBe(ids.pro!.operations!.capture!.meter);
    expect((await backend.store.getStripeCatalogIds()).pro!.operations!.capture!.price).toBe(
      third.ids.pro!.operations!.capture!.price,
    );
  });

  it('changes nothing in a dry run, and says what a push would do', async () => {
    backend = await openBackend();
    const result = await pushCatalog({ stripe, catalog: demoCatalog(), store: backend.store, dryRun: true });
    expect(result.dryRun).toBe(true);
    expect(result.changes.length).toBeGreaterThan(0);
    expect(await countObjects(stripe)).toEqual({ products: 0, prices: 0, meters: 0 });
    expect(await backend.store.getStripeCatalogIds()).toEqual({});
  });

  it('makes a new price when an amount changes and moves the lookup key to it', async () => {
    backend = await openBackend();
    const catalog = testCatalog();
    const before = await pushCatalog({ stripe, catalog, store: backend.store });
    const pro = catalog.plans.find((plan) => plan.id === 'pro')!;
    pro.prices.month = 3900;
    const after = await pushCatalog({ stripe, catalog, store: backend.store });
    expect(after.changes).toEqual([
      expect.objectContaining({
        action: 'create_price',
        lookupKey: 'tollgate_pro_month',
        replaces: before.ids.pro!.month,
      }),
    ]);
    const prices = await stripe.prices.list({ lookup_keys: ['tollgate_pro_month'] });
    expect(prices.data.map((price) => [price.id, price.unit_amount])).toEqual([[after.ids.pro!.month, 3900]]);
    expect((await backend.store.getStripeCatalogIds()).pro!.month).toBe(after.ids.pro!.month);
    expect(after.ids.pro!.year).toBe(before.ids.pro!.year);
  });

  // The command opens the store from DATABASE_URL, which names no PostgreSQL schema: SQLite only.
  it.skipIf(name !== 'sqlite')(
    name === 'sqlite'
      ? 'runs as `tollgate plans push`, twice and as a dry run, against a standalone Stripe'
      : 'skipped on postgres: the CLI opens DATABASE_URL, which cannot name a test schema (covered on sqlite)',
    async () => {
      backend = await openBackend();
      const location = backend.location;
      const config = loadConfig({
        STRIPE_SECRET_KEY: emulator.secretKey,
        STRIPE_API_BASE: emulator.url,
        DATABASE_URL: location.kind === 'sqlite' ? location.filename : location.url,
      });
      const lines: string[] = [];
      await pushPlans(config, { dryRun: true }, (line) => lines.push(line));
      expect(lines.every((line) => line.startsWith('would '))).toBe(true);
      expect(await countObjects(stripe)).toEqual({ products: 0, prices: 0, meters: 0 });
      await pushPlans(config, { dryRun: false }, (line) => lines.push(line));
      const created = await countObjects(stripe);
      expect(created.products).toBeGreaterThan(0);
      lines.length = 0;
      await pushPlans(config, { dryRun: false }, (line) => lines.push(line));
      expect(lines[0]).toBe('Stripe already holds the catalog: nothing to change.');
      expect(await countObjects(stripe)).toEqual(created);
    },
  );
});
