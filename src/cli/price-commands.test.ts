/**
 * `tollgate customers prices` as an operator runs it: a real process on a SQLite file, talking to a
 * Stripe emulator through STRIPE_API_BASE, with the catalog pushed into it as `plans push` does.
 */
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoCatalog } from '../core/catalog/demo-catalog.js';
import { type Emulator, startEmulator } from '../emulator/index.js';
import { pushCatalog } from '../stripe/catalog-push/push-catalog.js';
import { createStripeClient } from '../stripe/stripe-client.js';
import { type CliWorkspace, openCliWorkspace } from './testing/run-cli.js';

describe('tollgate customers prices', () => {
  let emulator: Emulator;
  let stripe: Stripe;
  let workspace: CliWorkspace;

  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, tickIntervalMs: 0 });
    stripe = createStripeClient({ secretKey: emulator.secretKey, apiBase: emulator.url });
    workspace = await openCliWorkspace({
      STRIPE_SECRET_KEY: emulator.secretKey,
      STRIPE_API_BASE: emulator.url,
    });
    await pushCatalog({ stripe, catalog: demoCatalog(), store: workspace.store });
  }, 30_000);

  afterAll(async () => {
    await workspace.close();
    await emulator.close();
  });

  it('sets, lists and removes a negotiated price, audited as the CLI, on the plan product', async () => {
    const customer = await workspace.tollgate.createCustomer({ email: 'big@example.com' });
    const set = await workspace.run(
      'customers',
      'prices',
      customer.id,
      'set',
      'enterprise',
      'month',
      '200000',
      '--reason',
      'MSA 2026-014',
    );
    expect(set.stderr).toBe('');
    expect(set.code).toBe(0);
    expect(set.stdout).toContain('now pays 200000 usd per month for enterprise');
    const [stored] = await workspace.store.listCustomerPrices({ customerId: customer.id });
    expect(stored).toMatchObject({ amount: 200_000, createdBy: 'cli', reason: 'MSA 2026-014' });
    const atStripe = await stripe.prices.retrieve(stored?.stripePriceId ?? '');
    const ids = await workspace.store.getStripeCatalogIds();
    expect(atStripe).toMatchObject({ unit_amount: 200_000, product: ids.enterprise?.product });

    const again = await workspace.run(
      'customers',
      'prices',
      customer.id,
      'set',
      'enterprise',
      'month',
      '200000',
    );
    expect(again.stdout).toContain('nothing changed');

    const list = await workspace.run('customers', 'prices', customer.id, '--json');
    expect(JSON.parse(list.stdout).data).toEqual([
      expect.objectContaining({ plan: 'enterprise', interval: 'month', amount: 200_000, active: true }),
    ]);
    const table = await workspace.run('customers', 'prices', customer.id);
    expect(table.stdout).toMatch(/enterprise\s+month\s+200000\s+usd/);

    const removed = await workspace.run('customers', 'prices', customer.id, 'remove', 'enterprise', 'month');
    expect(removed.code).toBe(0);
    expect((await workspace.run('customers', 'prices', customer.id)).stdout).toContain(
      'pays the catalog prices',
    );
    const audit = await workspace.store.listAudit({ customerId: customer.id, limit: 5 });
    expect(audit.entries.map((entry) => [entry.action, entry.actor])).toEqual([
      ['customer.price_removed', 'cli'],
      ['customer.price_set', 'cli'],
    ]);
  }, 30_000);

  it('refuses bad input with one line and exit 2, writing nothing', async () => {
    const customer = await workspace.tollgate.createCustomer({ email: 'small@example.com' });
    for (const args of [
      ['set', 'free', 'month', '100'],
      ['set', 'enterprise', 'week', '100'],
      ['set', 'enterprise', 'month', '12.50'],
      ['remove', 'enterprise', 'month'],
    ]) {
      const result = await workspace.run('customers', 'prices', customer.id, ...args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(/^tollgate: /);
    }
    expect(
      await workspace.store.listCustomerPrices({ customerId: customer.id, includeRemoved: true }),
    ).toEqual([]);
  }, 30_000);
});
