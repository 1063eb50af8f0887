/**
 * Running the emulator as a service: state survives a restart through `persistPath`, the control API
 * summarizes and resets it, and the standalone entry point prints what a client needs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Stripe from 'stripe';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator } from './index.js';
import { parseStandaloneArgs, runStandalone } from './standalone.js';

const directories: string[] = [];
afterEach(() => {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

describe('emulator as a service', () => {
  it('keeps state across restarts in the persist file', async () => {
    const directory = mkdtempSync(path.join(tmpdir(), 'emulator-state-'));
    directories.push(directory);
    const persistPath = path.join(directory, 'state.json');
    const first = await startEmulator({ port: 0, persistPath });
    const stripe = new Stripe(first.secretKey, first.stripeConfig());
    const customer = await stripe.customers.create({ email: 'kept@example.com' });
    await first.close();

    const second = await startEmulator({ port: 0, persistPath });
    try {
      const again = new Stripe(second.secretKey, second.stripeConfig());
      await expect(again.customers.retrieve(customer.id)).resolves.toMatchObject({
        email: 'kept@example.com',
      });
      const state = (await (await fetch(`${second.url}/_emulator/state`)).json()) as {
        objects: Record<string, number>;
      };
      expect(state.objects.customer).toBe(1);
      await fetch(`${second.url}/_emulator/reset`, { method: 'POST' });
      await expect(again.customers.retrieve(customer.id)).rejects.toMatchObject({ statusCode: 404 });
    } finally {
      await second.close();
    }
  });

  it('moves emulator time for objects outside test clocks', async () => {
    const emulator = await startEmulator({ port: 0, tickIntervalMs: 0 });
    try {
      const stripe = new Stripe(emulator.secretKey, emulator.stripeConfig());
      const customer = await stripe.customers.create({
        payment_method: 'pm_card_visa',
        invoice_settings: { default_payment_method: 'pm_card_visa' },
      });
      const price = await stripe.prices.create({
        product_data: { name: 'Clockless' },
        currency: 'usd',
        unit_amount: 1000,
        recurring: { interval: 'month' },
      });
      const subscription = await stripe.subscriptions.create({
        customer: customer.id,
        items: [{ price: price.id }],
      });
      const periodEnd = subscription.items.data[0]!.current_period_end;
      await fetch(`${emulator.url}/_emulator/time`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ advance_seconds: periodEnd - Math.floor(Date.now() / 1000) + 7200 }),
      });
      const invoices = await stripe.invoices.list({ subscription: subscription.id });
      expect(invoices.data.map((invoice) => invoice.status)).toEqual(['paid', 'paid']);
    } finally {
      await emulator.close();
    }
  });

  it('starts standalone and prints the keys to use', async () => {
    const lines: string[] = [];
    const options = parseStandaloneArgs(['--port', '0', '--webhook-secret', 'whsec_fixed']);
    const emulator = await runStandalone({ ...options, log: (line) => lines.push(line) });
    try {
      expect(lines.join('\n')).toContain('STRIPE_WEBHOOK_SECRET=whsec_fixed');
      expect(lines.join('\n')).toContain(`STRIPE_SECRET_KEY=${emulator.secretKey}`);
    } finally {
      await emulator.close();
    }
  });
});
