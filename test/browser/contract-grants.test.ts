/**
 * Grants in a real browser against `npm start`'s stack (billing time fixed at 2027-01-31): an operator
 * grants 100 bonus credits for the period from the customer page, the customer spends 50, its billing
 * page shows "Bonus credits: 50 of 100 left, until Jan 31, 2027", and the operator revokes the rest.
 * The panel is checked with axe. Screenshots go to test-results/contract-grants/.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAccessible, hasChromium, launchBrowser, Screenshots } from './support/browser.js';
import { type Stack, startStack } from './support/stack.js';

const skipReason = hasChromium ? '' : ' (skipped: /usr/bin/chromium is not installed)';

describe.skipIf(!hasChromium)(`grants in the admin console and on the billing page${skipReason}`, () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  let customer: { id: string; key: string };
  const shots = new Screenshots('contract-grants');

  beforeAll(async () => {
    stack = await startStack('contract-grants');
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(15_000);
    customer = await stack.createCustomer({ name: 'Grace Granted' });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('grants bonus credits for the period from the customer page', async () => {
    await page.goto(`${stack.base}/admin`);
    await page.getByLabel('Admin key').fill(stack.adminKey);
    await page.getByLabel('Admin key').press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Customers' }).waitFor();
    await page.goto(`${stack.base}/admin/customers/${customer.id}`);
    const panel = page.getByTestId('contract-grants');
    await panel.getByText('No grants.').waitFor();

    await panel.getByLabel('Credits').fill('100');
    await panel.getByLabel('Expires').selectOption('period');
    await panel.getByLabel('Reason (optional)').fill('pilot');
    await panel.getByTestId('grant-submit').click();
    const row = panel.getByTestId('grant-row');
    await expect.poll(() => row.count()).toBe(1);
    expect(await row.getByTestId('grant-remaining').textContent()).toBe('100 credits');
    await expect
      .poll(() => page.getByTestId('customer-announcement').textContent())
      .toContain('Granted 100 credits');
    await expectAccessible(page, 'customer with a grant');
    await shots.shot(page, 'granted');
  });

  it('shows the customer what is left of it on the billing page once it spent 50', async () => {
    await stack.api('/api/v1/usage/record', {
      key: customer.key,
      body: { operation: 'capture', quantity: 50, idempotency_key: 'spend-50' },
    });
    await page.goto(await stack.dashboardLink(customer.key));
    const line = page.getByTestId('grant-line');
    await line.waitFor();
    expect(await line.textContent()).toBe('Bonus credits: 50 of 100 left, until Jan 31, 2027');
    await shots.shot(page, 'billing-page');
  });

  it('revokes what is left after a confirmation', async () => {
    await page.goto(`${stack.base}/admin/customers/${customer.id}`);
    const row = page.getByTestId('contract-grants').getByTestId('grant-row');
    await row.waitFor();
    await row.getByTestId('revoke-grant').click();
    const dialog = page.getByTestId('revoke-grant-dialog');
    await dialog.waitFor();
    await dialog.getByTestId('dialog-submit').click();
    await dialog.waitFor({ state: 'detached' });
    await expect.poll(() => row.getAttribute('data-status')).toBe('revoked');
    expect(await row.getByTestId('grant-remaining').textContent()).toBe('0 credits');
    const usage = await stack.api<{ grants: unknown[]; quota_remaining: number }>('/api/v1/usage', {
      key: customer.key,
    });
    expect(usage).toMatchObject({ grants: [], quota_remaining: 100 });
    await shots.shot(page, 'revoked');
  });
});
