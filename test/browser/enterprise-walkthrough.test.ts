/**
 * The walk-through of docs/enterprise.md ("Selling an enterprise contract, step by step"), followed in
 * a real browser against `npm start`'s stack: the operator creates Acme in the admin console, sets its
 * contract overrides, its negotiated Enterprise price, an onboarding grant and three team keys (the
 * interns' limited); then, through the API as Acme, the usage shows the effective limits, the grant and
 * the key's own figures, the interns' key is refused past its limit with `scope: "key"`, subscribing to
 * Enterprise invoices the negotiated amount and the admin revenue counts it. Billing time starts on a
 * fixed day; screenshots go to test-results/enterprise-walkthrough/.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAccessible, hasChromium, launchBrowser, Screenshots } from './support/browser.js';
import { type Stack, startStack } from './support/stack.js';

const skipReason = hasChromium ? '' : ' (skipped: /usr/bin/chromium is not installed)';

interface UsageBody {
  subscription_tier: string;
  credits_used: number;
  monthly_limit: number | null;
  quota_remaining: number | null;
  requests_per_minute_limit: number | null;
  contract: Array<{ key: string; value: unknown; plan_value: unknown; expires_at: string | null }>;
  grants: Array<{
    operation: string | null;
    amount: number;
    used: number;
    remaining: number;
    expires: string;
  }>;
  key?: {
    name: string;
    owner: string;
    credits_used: number;
    credits_limit: number;
    credits_remaining: number;
  };
}

describe.skipIf(!hasChromium)(`enterprise walk-through${skipReason}`, () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  const shots = new Screenshots('enterprise-walkthrough');
  let acmeId = '';
  const keys = { first: '', backend: '', data: '', interns: '' };

  beforeAll(async () => {
    // The walk-through's day: March 1st, 2027 (a fixed billing time, never today's date).
    stack = await startStack('enterprise-walkthrough', { TOLLGATE_DEMO_CLOCK_START: '2027-03-01T09:00:00Z' });
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(15_000);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('step 1: creates Acme from the Customers page', async () => {
    await page.goto(`${stack.base}/admin`);
    await page.getByLabel('Admin key').fill(stack.adminKey);
    await page.getByLabel('Admin key').press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Customers' }).waitFor();
    await page.getByTestId('new-customer').click();
    const dialog = page.getByTestId('new-customer-dialog');
    await dialog.getByLabel('Name').fill('Acme');
    await dialog.getByLabel('Email').fill('billing@acme.example');
    await dialog.getByTestId('dialog-submit').click();
    await dialog.waitFor({ state: 'detached' });
    const created = page.getByTestId('new-customer-created');
    await created.waitFor();
    expect(await created.textContent()).toContain('Created Acme on the Free plan.');
    keys.first = await page.getByTestId('issued-key-value').inputValue();
    await created.getByRole('link', { name: 'Acme' }).click();
    await page.getByRole('heading', { level: 1, name: 'Acme' }).waitFor();
    acmeId = decodeURIComponent(page.url().split('/customers/')[1] ?? '');
    expect(acmeId).not.toBe('');
  });

  it('step 2: sets the contract overrides (5M credits, 500 requests a minute)', async () => {
    const panel = page.getByTestId('contract-overrides');
    await panel.getByText("Every limit and feature is the plan's.").waitFor();
    for (const [key, value] of [
      ['credits', '5000000'],
      ['requests_per_minute', '500'],
    ] as const) {
      await panel.getByLabel('Limit or feature').fill(key);
      await panel.getByLabel('Value (catalog units; empty = unlimited)').fill(value);
      await panel.getByLabel('Reason (optional, kept in the audit log)').fill('MSA 2027-003');
      await panel.getByRole('button', { name: 'Set override' }).click();
      await panel.locator(`[data-testid="override-row"][data-key="${key}"]`).waitFor();
    }
    expect(await panel.getByTestId('override-value').allTextContents()).toEqual(['5000000', '500']);
  });

  it('step 3: sets the negotiated price, Enterprise at $2,000 a month', async () => {
    const panel = page.getByTestId('contract-prices');
    await panel.getByText('This customer pays the catalog prices.').waitFor();
    await panel.getByLabel('Plan').selectOption('enterprise');
    await panel.getByLabel('Interval').selectOption('month');
    await panel.getByLabel('Amount (minor units)').fill('200000');
    await panel.getByLabel('Reason (optional)').fill('MSA 2027-003');
    await panel.getByRole('button', { name: 'Set price' }).click();
    const row = panel.getByTestId('contract-price-row');
    await row.waitFor();
    expect(await row.textContent()).toContain('$2,000.00');
  });

  it('step 4: grants 100,000 onboarding credits, until used', async () => {
    const panel = page.getByTestId('contract-grants');
    await panel.getByText('No grants.').waitFor();
    await panel.getByLabel('Credits').fill('100000');
    await panel.getByLabel('Expires').selectOption('until_used');
    await panel.getByLabel('Reason (optional)').fill('onboarding');
    await panel.getByRole('button', { name: 'Grant', exact: true }).click();
    const row = panel.getByTestId('grant-row');
    await expect.poll(() => row.count()).toBe(1);
    expect(await row.getByTestId('grant-remaining').textContent()).toBe('100,000 credits');
  });

  it("step 5: issues three team keys, the interns' limited to 1,000 credits and 20 requests a minute", async () => {
    const section = page.getByTestId('api-keys');
    for (const [name, owner, credits, perMinute] of [
      ['backend', 'platform@acme.example', '', ''],
      ['data', 'data@acme.example', '', ''],
      ['interns', 'interns@acme.example', '1000', '20'],
    ] as const) {
      await section.getByLabel('New key name (optional)').fill(name);
      await section.getByLabel('Owner (optional)').fill(owner);
      await section.getByLabel('Credits per period (optional)').fill(credits);
      await section.getByLabel('Requests per minute (optional)').fill(perMinute);
      await section.getByRole('button', { name: 'Issue key' }).click();
      const issued = section.getByTestId('issued-key');
      await issued.waitFor();
      keys[name] = await issued.getByTestId('issued-key-value').inputValue();
      await section.getByTestId('api-key-row').filter({ hasText: owner }).waitFor();
      await issued.getByRole('button', { name: 'Done' }).click();
      await issued.waitFor({ state: 'detached' });
    }
    const interns = section.getByTestId('api-key-row').filter({ hasText: 'interns@acme.example' });
    expect(await interns.getByTestId('key-limits').textContent()).toBe('1,000 credits · 20/min');
    expect(await interns.getByTestId('key-usage').textContent()).toBe('0 / 1,000 credits');
    expect(await section.getByTestId('api-key-row').count()).toBe(4);
    // Every step is in Acme's audit trail, newest first, as the admin key that made it.
    const events = await stack.api<{ data: Array<{ action: string; actor: string }> }>(
      `/api/v1/admin/customers/${acmeId}/events`,
      { key: stack.adminKey },
    );
    expect(events.data.map((entry) => entry.action).slice(0, 7)).toEqual([
      'api_key.issued',
      'api_key.issued',
      'api_key.issued',
      'grant.created',
      'customer.price_set',
      'contract.overrides_set',
      'contract.overrides_set',
    ]);
    expect(new Set(events.data.slice(0, 7).map((entry) => entry.actor)).size).toBe(1);
    await expectAccessible(page, 'Acme with its contract');
    await shots.shot(page, 'acme-contract');
  });

  it("what Acme sees: its usage shows the contract's limits, the grant and the key's own figures", async () => {
    const body = await stack.api<UsageBody>('/api/v1/usage', { key: keys.interns });
    expect(body).toMatchObject({
      subscription_tier: 'free',
      monthly_limit: 5_000_000,
      quota_remaining: 5_100_000,
      requests_per_minute_limit: 500,
    });
    expect(body.contract).toEqual([
      { key: 'credits', value: 5_000_000, plan_value: 100, expires_at: null },
      { key: 'requests_per_minute', value: 500, plan_value: 10, expires_at: null },
    ]);
    expect(body.grants).toMatchObject([
      { operation: null, amount: 100_000, used: 0, remaining: 100_000, expires: 'until_used' },
    ]);
    expect(body.key).toMatchObject({
      name: 'interns',
      owner: 'interns@acme.example',
      credits_used: 0,
      credits_limit: 1000,
      credits_remaining: 1000,
    });
    // The backend's key has no limits of its own: no `key` block.
    expect((await stack.api<UsageBody>('/api/v1/usage', { key: keys.backend })).key).toBeUndefined();
  });

  it("what Acme sees: the interns' key is refused past its 1,000 credits with scope key; the other keys go on", async () => {
    const record = (key: string | undefined, quantity: number, idempotencyKey: string) =>
      fetch(`${stack.base}/api/v1/usage/record`, {
        method: 'POST',
        headers: { 'X-API-Key': key ?? '', 'Content-Type': 'application/json' },
        body: JSON.stringify({ operation: 'capture', quantity, idempotency_key: idempotencyKey }),
      });
    expect((await record(keys.interns, 1000, 'interns-batch-1')).status).toBe(200);
    const refused = await record(keys.interns, 1, 'interns-one-more');
    expect(refused.status).toBe(429);
    const body = (await refused.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      error: 'quota_exceeded',
      scope: 'key',
      key_usage: { credits_used: 1000, credits_limit: 1000, requested: 1 },
      message: "This API key's quota exceeded. Used 1000/1000 credits this period, requested 1.",
    });
    expect(typeof body.key_id).toBe('string');
    // The other keys go on; their headers carry the contract's figures, the grant included.
    const backendRecord = await record(keys.backend, 1, 'backend-one');
    expect(backendRecord.status).toBe(200);
    expect(backendRecord.headers.get('x-ratelimit-limit-minute')).toBe('500');
    expect(backendRecord.headers.get('x-credits-remaining')).toBe('5098999');

    // The grant was spent first: 1,001 of its 100,000 credits are used.
    const usage = await stack.api<UsageBody>('/api/v1/usage', { key: keys.data });
    expect(usage).toMatchObject({ credits_used: 1001, monthly_limit: 5_000_000, quota_remaining: 5_098_999 });
    expect(usage.grants).toMatchObject([{ amount: 100_000, used: 1001, remaining: 98_999 }]);

    await page.reload();
    const interns = page.getByTestId('api-key-row').filter({ hasText: 'interns@acme.example' });
    await expect.poll(() => interns.getByTestId('key-usage').textContent()).toBe('1,000 / 1,000 credits');
    await shots.shot(page, 'acme-keys-used');
  });

  it('step 6: Acme subscribes to Enterprise and is invoiced $2,000; the revenue counts it', async () => {
    await stack.api('/api/v1/billing/subscribe', {
      key: keys.backend,
      body: { tier: 'enterprise', payment_method_id: 'pm_card_visa', trial: false },
    });
    const invoices = await stack.api<{ invoices: { amount_paid: number }[] }>('/api/v1/billing/invoices', {
      key: keys.backend,
    });
    expect(invoices.invoices.map((invoice) => invoice.amount_paid)).toEqual([200_000]);

    // On Enterprise (unlimited credits in the catalog), the contract's 5M credits and 500/min apply.
    const usage = await stack.api<UsageBody>('/api/v1/usage', { key: keys.backend });
    expect(usage).toMatchObject({
      subscription_tier: 'enterprise',
      // A new credit period starts with the subscription; the grant, until used, carries over.
      credits_used: 0,
      monthly_limit: 5_000_000,
      requests_per_minute_limit: 500,
    });
    expect(usage.grants).toMatchObject([{ amount: 100_000, remaining: 98_999 }]);
    expect(usage.contract.map((entry) => [entry.key, entry.value, entry.plan_value])).toEqual([
      ['credits', 5_000_000, null],
      ['requests_per_minute', 500, null],
    ]);

    await expect
      .poll(
        async () => (await stack.api<{ mrr: number }>('/api/v1/admin/revenue', { key: stack.adminKey })).mrr,
      )
      .toBe(200_000);

    // The customer's billing page: the plan's price is Acme's own, the grant line reads what is left.
    const billing = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    try {
      await billing.goto(await stack.dashboardLink(keys.backend));
      const enterprise = billing.getByTestId('plan-enterprise');
      await enterprise.getByTestId('contract-price-marker').waitFor();
      expect(await enterprise.getByTestId('plan-card-price').textContent()).toBe('$2,000.00 / month');
      // Its card shows the contract's limits, not the catalog's "Unlimited".
      expect(await enterprise.getByTestId('plan-fact-credits').textContent()).toBe(
        '5,000,000 credits a month Contract',
      );
      expect(await enterprise.getByTestId('plan-fact-requests-minute').textContent()).toBe(
        '500 requests per minute Contract',
      );
      await billing.getByTestId('meter-credits-contract').waitFor();
      expect(await billing.getByTestId('grant-line').textContent()).toBe(
        'Bonus credits: 98,999 of 100,000 left, until used',
      );
      await expectAccessible(billing, "Acme's billing page");
      // Pro's card is the catalog's; the change dialog says the contract's limits carry over to it.
      const pro = billing.getByTestId('plan-pro');
      expect(await pro.getByTestId('plan-fact-credits').textContent()).toBe('100,000 credits a month');
      await pro.getByTestId('change-downgrade').click();
      const dialog = billing.getByTestId('change-dialog');
      await dialog.getByTestId('change-contract-note').waitFor();
      expect(await dialog.getByTestId('change-contract-note').textContent()).toContain(
        'your contract sets stay as agreed on Pro',
      );
      await dialog.getByRole('button', { name: 'Keep current plan' }).click();
      await dialog.getByTestId('change-contract-note').waitFor({ state: 'detached' });
      await shots.shot(billing, 'acme-billing-page');
    } finally {
      await billing.close();
    }
  }, 60_000);
});
