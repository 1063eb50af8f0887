/**
 * Contract overrides in a real browser against `npm start`'s stack: an operator opens a customer in
 * the admin console, raises its credit quota until a date with a reason, sees a refused key named,
 * and the customer's own billing page marks the credit limit "Contract" and shows the contract's
 * figures and features on its current plan's card (other plans and other customers keep the
 * catalog's); removing the override puts the plan's limit back. The panel is checked with axe; screenshots go to test-results/contract-overrides/.
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

  it("shows the contract's figures on the current plan's card, marked Contract", async () => {
    // Besides the credits above (until Mar 1, 2027): a rate, a feature the plan lacks, one it removes.
    const overrides = `/api/v1/admin/customers/${customer.id}/overrides`;
    await stack.api(overrides, {
      key: stack.adminKey,
      method: 'PUT',
      body: {
        limits: { requests_per_minute: 50 },
        features: { federation: true, semantic_search: false },
        reason: 'MSA 2027-003',
      },
    });
    expect((await usage()).contract.map((entry) => entry.key)).toEqual([
      'credits',
      'features.federation',
      'features.semantic_search',
      'requests_per_minute',
    ]);
    const billing = await browser.newPage({
      viewport: { width: 1280, height: 900 },
      locale: 'en-US',
      timezoneId: 'UTC',
    });
    try {
      await billing.goto(await stack.dashboardLink(customer.key));
      await billing.getByTestId('meter-credits-contract').waitFor();
      expect(await billing.getByTestId('meter-credits-detail').textContent()).toBe('0 of 5,000 credits');

      const card = billing.getByTestId('plan-free');
      expect(await card.getByTestId('current-marker').count()).toBe(1);
      const fact = (id: string) => card.getByTestId(`plan-fact-${id}`);
      expect(await fact('credits').textContent()).toBe('5,000 credits a month Contract until Mar 1, 2027');
      expect(await fact('credits').getAttribute('data-source')).toBe('contract');
      expect(await fact('requests-minute').textContent()).toBe('50 requests per minute Contract');
      // What the contract leaves alone is the plan's, unmarked.
      expect(await fact('requests-day').textContent()).toBe('100 requests per day');
      expect(await fact('requests-day').getAttribute('data-source')).toBe('plan');
      expect(await fact('feature-federation').textContent()).toBe('Federation Contract');
      expect(await fact('feature-semantic_search').textContent()).toBe(
        'Semantic search not included Contract',
      );
      expect(await card.getByTestId('contract-fact-marker').count()).toBe(4);
      expect(await card.getByText('Unlimited credits').count()).toBe(0);

      // Another plan keeps the catalog's figures: the contract is the customer's, not the plan's.
      const pro = billing.getByTestId('plan-pro');
      expect(await pro.getByTestId('plan-fact-credits').textContent()).toBe('100,000 credits a month');
      expect(await pro.getByTestId('plan-fact-requests-minute').textContent()).toBe(
        '100 requests per minute',
      );
      expect(await pro.getByTestId('contract-fact-marker').count()).toBe(0);
      await expectAccessible(billing, 'billing page with a contract');
      await shots.shot(billing, 'billing-page-contract');
    } finally {
      await billing.close();
      for (const key of ['requests_per_minute', 'features.federation', 'features.semantic_search'])
        await stack.api(`${overrides}/${key}`, { key: stack.adminKey, method: 'DELETE' });
    }
  });

  it("shows the catalog's figures on a customer without a contract", async () => {
    const billing = await browser.newPage({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
    try {
      await billing.goto(await stack.dashboardLink(stack.customerKey));
      const card = billing.getByTestId('plan-free');
      await card.getByTestId('current-marker').waitFor();
      expect(await card.getByTestId('plan-fact-credits').textContent()).toBe('100 credits a month');
      expect(await card.getByTestId('plan-fact-requests-minute').textContent()).toBe(
        '10 requests per minute',
      );
      expect(await card.getByTestId('plan-fact-feature-semantic_search').textContent()).toBe(
        'Semantic search',
      );
      expect(await card.getByTestId('plan-fact-feature-federation').count()).toBe(0);
      expect(await billing.getByTestId('contract-fact-marker').count()).toBe(0);
      expect(await billing.getByTestId('meter-credits-contract').count()).toBe(0);
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
    // Newest first: this removal, the billing page test's three, then the two changes that set them.
    expect(events.data.map((entry) => entry.action).slice(0, 6)).toEqual([
      ...Array(4).fill('contract.overrides_removed'),
      'contract.overrides_set',
      'contract.overrides_set',
    ]);
    expect(events.data[5]?.details.reason).toBe('Q1 pilot');
  });
});
