/**
 * Contract overrides in a real browser against `npm start`'s stack: an operator opens a customer in
 * the admin console, raises its credit quota until a date with a reason, sees a refused key named,
 * and the customer's own billing page marks the credit limit "Contract"; removing the override puts
 * the plan's limit back. The panel is checked with axe; screenshots go to test-results/contract-overrides/.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAccessible, hasChromium, launchBrowser, Screenshots } from './support/browser.js';
import { type Stack, startStack } from './support/stack.js';

interface UsageBody {
  monthly_limit: number | null;
  contract: Array<{ key: string; value: unknown; plan_value: unknown; expires_at: string | null }>;
}

const skipReason = hasChromium ? '' : ' (skipped: /usr/bin/chromium is not installed)';

describe.skipIf(!hasChromium)(`contract overrides in the admin console${skipReason}`, () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  let customer: { id: string; key: string };
  const shots = new Screenshots('contract-overrides');
  const usage = () => stack.api<UsageBody>('/api/v1/usage', { key: customer.key });

  beforeAll(async () => {
    stack = await startStack('contract-overrides');
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(15_000);
    customer = await stack.createCustomer({ name: 'Contract Carla', email: 'carla@example.test' });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('sets an override with an expiry and a reason, and the customer obeys it at once', async () => {
    await page.goto(`${stack.base}/admin`);
    await page.getByLabel('Admin key').fill(stack.adminKey);
    await page.getByLabel('Admin key').press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Customers' }).waitFor();
    await page.goto(`${stack.base}/admin/customers/${customer.id}`);
    const panel = page.getByTestId('contract-overrides');
    await panel.getByText("Every limit and feature is the plan's.").waitFor();

    await page.getByTestId('override-key').fill('credits');
    await page.getByTestId('override-value-input').fill('5000');
    await page.getByTestId('override-expires').fill('2027-03-01T00:00');
    await page.getByTestId('override-reason').fill('Q1 pilot');
    await page.getByTestId('save-override').click();
    const row = panel.locator('[data-testid="override-row"][data-key="credits"]');
    await row.waitFor();
    expect(await row.getByTestId('override-value').textContent()).toBe('5000');
    expect(await row.getAttribute('data-in-force')).toBe('true');
    await expect
      .poll(() => page.getByTestId('customer-announcement').textContent())
      .toContain('credits saved');
    await page.getByTestId('meter-customer-credits-contract').waitFor();
    // The activity says it in words: the plan's value, then the contract's, until when.
    await page.getByText('Contract overrides set').waitFor();
    await page.getByText(/^100 \(plan\) → 5000 until /).waitFor();

    const body = await usage();
    expect(body.monthly_limit).toBe(5000);
    expect(body.contract).toEqual([
      { key: 'credits', value: 5000, plan_value: 100, expires_at: '2027-03-01T00:00:00.000Z' },
    ]);
    await expectAccessible(page, 'customer with contract overrides');
    await shots.shot(page, 'customer-overrides');
  });

  it('names a refused key and writes nothing', async () => {
    await page.getByTestId('override-key').fill('features.teleport');
    await page.getByTestId('override-value-input').fill('true');
    await page.getByTestId('save-override').click();
    await expect
      .poll(() => page.getByTestId('contract-overrides').getByRole('alert').textContent())
      .toContain("unknown feature 'teleport'");
    expect(await page.getByTestId('override-row').count()).toBe(1);
    await shots.shot(page, 'override-refused');
  });

  it("marks the limit Contract on the customer's billing page", async () => {
    const billing = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    try {
      await billing.goto(await stack.dashboardLink(customer.key));
      await billing.getByTestId('meter-credits-contract').waitFor();
      expect(await billing.getByTestId('meter-credits-detail').textContent()).toBe('0 of 5,000 credits');
      await shots.shot(billing, 'billing-page-contract');
    } finally {
      await billing.close();
    }
  });

  it('removes the override: the plan applies again', async () => {
    await page.getByRole('button', { name: 'Remove the override of credits' }).click();
    await page
      .getByTestId('contract-overrides')
      .getByText("Every limit and feature is the plan's.")
      .waitFor();
    expect(await page.getByTestId('meter-customer-credits-contract').count()).toBe(0);
    const body = await usage();
    expect(body).toMatchObject({ monthly_limit: 100, contract: [] });
    const events = await stack.api<{ data: Array<{ action: string; details: { reason?: string } }> }>(
      `/api/v1/admin/customers/${customer.id}/events`,
      { key: stack.adminKey },
    );
    expect(events.data.map((entry) => entry.action).slice(0, 2)).toEqual([
      'contract.overrides_removed',
      'contract.overrides_set',
    ]);
    expect(events.data[1]?.details.reason).toBe('Q1 pilot');
  });
});
