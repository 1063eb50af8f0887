/**
 * A person's path through the hosted pages, in a real browser: pay a Checkout Session by clicking, then
 * cancel in the Billing Portal, and check the webhooks that a backend would act on.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Page } from 'playwright-core';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from './index.js';
import { startWebhookReceiver, type WebhookReceiver } from './testing/webhook-receiver.js';

const CHROMIUM = '/usr/bin/chromium';
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const screenshots = path.join(repoRoot, 'test-results/emulator');
const hasChromium = existsSync(CHROMIUM);
const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** axe-core's WCAG checks; serious or critical violations fail (the emulator keeps its own copy of this). */
async function expectAccessible(page: Page, label: string): Promise<void> {
  const axe = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  await page.evaluate(axe);
  const violations = await page.evaluate(async () => {
    const g = globalThis as unknown as {
      axe: { run(context: unknown): Promise<{ violations: { id: string; impact: string | null }[] }> };
      document: unknown;
    };
    return (await g.axe.run(g.document)).violations;
  });
  const blocking = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(blocking.map((v) => `${label}: ${v.impact} ${v.id}`)).toEqual([]);
}

describe('hosted pages in a browser', () => {
  if (!hasChromium) {
    it.skip(`skipped: Chromium not found at ${CHROMIUM} (apt-get install -y chromium)`, () => {});
    return;
  }
  let emulator: Emulator;
  let receiver: WebhookReceiver;
  let stripe: Stripe;

  beforeAll(async () => {
    mkdirSync(screenshots, { recursive: true });
    emulator = await startEmulator({ port: 0, webhookRetry: { initialDelayMs: 5, maxDelayMs: 20 } });
    receiver = await startWebhookReceiver(() => emulator.webhookSecret);
    emulator.addWebhookEndpoint({ url: receiver.url });
    stripe = new Stripe(emulator.secretKey, { ...emulator.stripeConfig(), maxNetworkRetries: 0 });
  });
  afterAll(async () => {
    await emulator?.close();
    await receiver?.close();
  });

  it('completes Checkout and cancels in the Portal by clicking', async () => {
    const price = await stripe.prices.create({
      product_data: { name: 'Team plan' },
      currency: 'usd',
      unit_amount: 4900,
      recurring: { interval: 'month' },
    });
    const session = await stripe.checkout.sessions.create({
      mode: 'subscription',
      line_items: [{ price: price.id, quantity: 1 }],
      success_url: `${emulator.url}/c/done?session_id={CHECKOUT_SESSION_ID}`,
      cancel_url: `${emulator.url}/c/done?canceled=1`,
    });
    expect(session.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/c\/pay\/cs_test_/);

    const userDataDir = mkdtempSync(path.join(tmpdir(), 'emulator-chromium-'));
    const context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: chromiumArgs,
    });
    try {
      const page = await context.newPage();
      await page.goto(session.url!);
      await expect(page.getByTestId('total').textContent()).resolves.toBe('USD 49.00');
      await page.getByTestId('email').fill('grace@example.com');
      await page.getByTestId('card-pm_card_visa').check();
      await page.screenshot({ path: path.join(screenshots, 'checkout.png'), fullPage: true });
      await page.getByTestId('submit').click();
      await page.waitForURL(/\/c\/done\?session_id=cs_test_/);
      await page.screenshot({ path: path.join(screenshots, 'checkout-done.png') });

      const completed = await receiver.waitFor((event) => event.type === 'checkout.session.completed');
      expect(completed.data.object.id).toBe(session.id);
      expect(completed.data.object.payment_status).toBe('paid');
      const subscriptionId = String(completed.data.object.subscription);
      const created = await receiver.waitFor((event) => event.type === 'customer.subscription.created');
      expect(created.data.object.id).toBe(subscriptionId);
      expect(created.data.object.status).toBe('active');
      const customerId = String(completed.data.object.customer);
      expect((await stripe.customers.retrieve(customerId)) as Stripe.Customer).toMatchObject({
        email: 'grace@example.com',
      });

      const portal = await stripe.billingPortal.sessions.create({
        customer: customerId,
        return_url: `${emulator.url}/c/done?from=portal`,
      });
      await page.goto(portal.url);
      await expect(page.getByTestId('status').textContent()).resolves.toBe('active');
      await page.screenshot({ path: path.join(screenshots, 'portal.png'), fullPage: true });
      await page.getByTestId('cancel-subscription').click();
      await page.getByTestId('notice').waitFor();
      await expect(page.getByTestId('cancel-notice').isVisible()).resolves.toBe(true);
      await page.screenshot({ path: path.join(screenshots, 'portal-canceled.png'), fullPage: true });

      const updated = await receiver.waitFor(
        (event) =>
          event.type === 'customer.subscription.updated' && event.data.object.cancel_at_period_end === true,
      );
      expect(updated.data.object.id).toBe(subscriptionId);
      expect(updated.data.previous_attributes).toMatchObject({ cancel_at_period_end: false });
      await page.getByTestId('return').click();
      await page.waitForURL(/from=portal/);
    } finally {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    }
  });

  it('shows a metered price as usage-based at Checkout, and what was paid on the hosted invoice', async () => {
    const product = await stripe.products.create({ name: 'Pro' });
    const monthly = await stripe.prices.create({
      product: product.id,
      currency: 'usd',
      unit_amount: 2900,
      recurring: { interval: 'month' },
    });
    const meter = await stripe.billing.meters.create({
      display_name: 'Credits',
      event_name: 'credits_used',
      default_aggregation: { formula: 'sum' },
    });
    const overage = await stripe.prices.create({
      product: product.id,
      currency: 'usd',
      unit_amount_decimal: Stripe.Decimal.from('0.01'),
      recurring: { interval: 'month', usage_type: 'metered', meter: meter.id },
    });
    const session = await stripe.checkout.sessions.create({
      mode: 'subscription',
      line_items: [{ price: monthly.id, quantity: 1 }, { price: overage.id }],
      success_url: `${emulator.url}/c/done?session_id={CHECKOUT_SESSION_ID}`,
    });
    expect(session.amount_total).toBe(2900);

    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: chromiumArgs });
    try {
      for (const width of [1280, 375]) {
        const page = await browser.newPage({ viewport: { width, height: 800 } });
        await page.goto(session.url!);
        const lines = await page.getByTestId('line-item').allTextContents();
        expect(lines).toEqual(['Pro1USD 29.00 / month', 'ProUsage-based, USD 0.10 per 1,000 units / month']);
        await expect(page.getByTestId('total').textContent()).resolves.toBe('USD 29.00');
        await expectAccessible(page, `checkout at ${width}`);
        await page.screenshot({
          path: path.join(screenshots, `checkout-metered-${width}.png`),
          fullPage: true,
        });
        await page.close();
      }
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      await page.goto(session.url!);
      await page.getByTestId('email').fill('ada@example.com');
      await page.getByTestId('submit').click();
      await page.waitForURL(/\/c\/done\?session_id=cs_test_/);
      const completed = await stripe.checkout.sessions.retrieve(session.id);
      const [invoice] = (await stripe.invoices.list({ subscription: String(completed.subscription) })).data;
      expect(invoice).toMatchObject({ status: 'paid', amount_paid: 2900 });
      for (const width of [1280, 375]) {
        await page.setViewportSize({ width, height: 800 });
        await page.goto(invoice!.hosted_invoice_url!);
        await expect(page.getByTestId('total').textContent()).resolves.toBe('USD 29.00');
        await expect(page.getByTestId('amount-due').textContent()).resolves.toBe('USD 29.00');
        await expect(page.getByTestId('amount-paid').textContent()).resolves.toBe('USD 29.00');
        await expect(page.getByTestId('amount-remaining').count()).resolves.toBe(0);
        await expect(
          page.getByRole('cell', { name: '1 × Pro (at USD 29.00 / month)' }).count(),
        ).resolves.toBe(1);
        await expectAccessible(page, `paid invoice at ${width}`);
        await page.screenshot({ path: path.join(screenshots, `invoice-paid-${width}.png`), fullPage: true });
      }
    } finally {
      await browser.close();
    }
  });
});
