/**
 * The contract prices panel of the admin console in a real browser against `npm start`'s stack: an
 * operator sets a negotiated price on a customer's page, the customer subscribes and is charged it,
 * the operator removes it. Checked with axe; screenshots go to test-results/contract-prices/.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAccessible, hasChromium, launchBrowser, Screenshots } from './support/browser.js';
import { type Stack, startStack } from './support/stack.js';

const skipReason = hasChromium ? '' : ' (skipped: /usr/bin/chromium is not installed)';

describe.skipIf(!hasChromium)(`contract prices panel${skipReason}`, () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  const shots = new Screenshots('contract-prices');

  beforeAll(async () => {
    stack = await startStack('contract-prices');
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(15_000);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('sets a price the customer is then charged, and removes it', async () => {
    const customer = await stack.createCustomer({ name: 'Contract Carla', email: 'carla@example.test' });
    await page.goto(`${stack.base}/admin`);
    await page.getByLabel('Admin key').fill(stack.adminKey);
    await page.getByLabel('Admin key').press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Customers' }).waitFor();
    await page.goto(`${stack.base}/admin/customers/${customer.id}`);
    const panel = page.getByTestId('contract-prices');
    await panel.getByText('This customer pays the catalog prices.').waitFor();

    await page.getByTestId('contract-plan').selectOption('enterprise');
    await page.getByTestId('contract-interval').selectOption('month');
    await page.getByTestId('contract-amount').fill('200000');
    await expect.poll(() => page.locator('#contract-amount-shown').textContent()).toContain('2,000.00');
    await page.getByTestId('contract-reason').fill('MSA 2026-014');
    await page.getByTestId('set-contract-price').click();
    const row = page.getByTestId('contract-price-row');
    await row.waitFor();
    expect(await row.getAttribute('data-plan')).toBe('enterprise');
    expect(await row.textContent()).toContain('$2,000.00');
    expect(await page.getByTestId('customer-announcement').textContent()).toContain('$2,000.00');
    // The change is in the customer's activity, in words.
    await expect.poll(() => page.getByText('Contract price set').first().isVisible()).toBe(true);
    await page.getByText('catalog price → $2,000.00').waitFor();
    await expectAccessible(page, 'contract prices set');
    await shots.shot(page, 'price-set');

    await stack.api('/api/v1/billing/subscribe', {
      key: customer.key,
      body: { tier: 'enterprise', payment_method_id: 'pm_card_visa', trial: false },
    });
    // Read from Stripe with the customer's key (the admin list is the webhook mirror, a moment behind).
    const invoices = await stack.api<{ invoices: { amount_paid: number }[] }>('/api/v1/billing/invoices', {
      key: customer.key,
    });
    expect(invoices.invoices.map((invoice) => invoice.amount_paid)).toEqual([200_000]);

    // The customer's billing page shows its own price on the plan, marked as its contract price.
    const billingPage = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await billingPage.goto(await stack.dashboardLink(customer.key));
    const enterprise = billingPage.getByTestId('plan-enterprise');
    await enterprise.getByTestId('contract-price-marker').waitFor();
    expect(await enterprise.getByTestId('plan-card-price').textContent()).toBe('$2,000.00 / month');
    expect(await billingPage.getByTestId('plan-pro').getByTestId('contract-price-marker').count()).toBe(0);
    await expectAccessible(billingPage, 'billing page with a contract price');
    await shots.shot(billingPage, 'billing-page');
    await billingPage.close();

    // A bad amount is refused on the page, nothing sent.
    await page.getByTestId('contract-amount').fill('12.50');
    await page.getByTestId('set-contract-price').click();
    await expect.poll(() => panel.getByRole('alert').textContent()).toContain('whole number of minor units');

    await page.getByTestId('remove-contract-price').click();
    await panel.getByText('This customer pays the catalog prices.').waitFor();
    const listed = await stack.api<{ data: unknown[] }>(`/api/v1/admin/customers/${customer.id}/prices`, {
      key: stack.adminKey,
    });
    expect(listed.data).toEqual([]);
    await shots.shot(page, 'price-removed');
  }, 60_000);
});
