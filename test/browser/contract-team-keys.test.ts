/**
 * Team keys in the admin console, in a real browser against `npm start`'s stack: a customer's keys
 * section shows each key's owner, own limits and usage this period, and an operator issues a key with
 * a name, an owner and limits from the form; a bad limit shows the service's error and issues nothing.
 * A key's Edit dialog changes its owner and limits (a bad figure shows the service's error in the
 * dialog and changes nothing), and the row and the activity show the change. Checked with axe; screenshots go to test-results/contract-team-keys/.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAccessible, hasChromium, launchBrowser, Screenshots } from './support/browser.js';
import { type Stack, startStack } from './support/stack.js';

const skipReason = hasChromium ? '' : ' (skipped: /usr/bin/chromium is not installed)';

describe.skipIf(!hasChromium)(`admin console: team keys${skipReason}`, () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  const shots = new Screenshots('contract-team-keys');
  let customer: { id: string; key: string };
  let intern: { id: string; key: string };

  beforeAll(async () => {
    stack = await startStack('contract-team-keys');
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(15_000);
    customer = await stack.createCustomer({ name: 'Team Tess Org', plan: 'starter' });
    intern = await stack.api<{ id: string; key: string }>(`/api/v1/admin/customers/${customer.id}/keys`, {
      key: stack.adminKey,
      body: { name: 'intern', owner: 'intern@example.test', limits: { credits: 3, requests_per_minute: 20 } },
    });
    for (let index = 0; index < 4; index++) {
      await fetch(`${stack.base}/api/v1/usage/record`, {
        method: 'POST',
        headers: { 'X-API-Key': intern.key, 'Content-Type': 'application/json' },
        body: JSON.stringify({ operation: 'capture', idempotency_key: `team-${index}` }),
      });
    }
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it("shows each key's owner, limits and usage this period", async () => {
    await page.goto(`${stack.base}/admin`);
    await page.getByLabel('Admin key').fill(stack.adminKey);
    await page.getByLabel('Admin key').press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Customers' }).waitFor();
    await page.goto(`${stack.base}/admin/customers/${customer.id}`);
    await page.getByRole('heading', { level: 1, name: 'Team Tess Org' }).waitFor();

    const row = page.locator(`[data-testid="api-key-row"][data-key-id="${intern.id}"]`);
    await row.waitFor();
    expect(await row.locator('td[data-label="Owner"]').textContent()).toBe('intern@example.test');
    expect(await row.getByTestId('key-limits').textContent()).toBe('3 credits · 20/min');
    // Four captures of 1 credit were sent; the key's own limit admitted three.
    expect(await row.getByTestId('key-usage').textContent()).toBe('3 / 3 credits');
    const first = page.locator('[data-testid="api-key-row"]').first();
    expect(await first.locator('td[data-label="Limits"]').textContent()).toBe("Customer's");
    await expectAccessible(page, 'customer with team keys');
    await shots.shot(page, 'team-keys');
  });

  it('issues a key with a name, owner and limits from the form, and refuses a bad limit', async () => {
    const rows = page.getByTestId('api-key-row');
    const before = await rows.count();
    await page.getByLabel('New key name (optional)').fill('bot');
    await page.getByLabel('Owner (optional)').fill('ci@example.test');
    await page.getByLabel('Credits per period (optional)').fill('1.5');
    await page.getByTestId('issue-key').click();
    // The keys section's own alert: the other panels of the page have theirs.
    const alert = page.getByTestId('api-keys').getByRole('alert').first();
    await expect.poll(() => alert.textContent()).toContain('limits.credits');
    expect(await rows.count()).toBe(before);
    await shots.shot(page, 'team-key-refused');

    await page.getByLabel('Credits per period (optional)').fill('25');
    await page.getByLabel('Requests per day (optional)').fill('500');
    await page.getByTestId('issue-key').click();
    await page.getByTestId('issued-key-value').waitFor();
    await expect.poll(() => rows.count()).toBe(before + 1);
    const created = rows.filter({ hasText: 'ci@example.test' });
    expect(await created.getByTestId('key-limits').textContent()).toBe('25 credits · 500/day');
    expect(await created.getByTestId('key-usage').textContent()).toBe('0 / 25 credits');
    await expectAccessible(page, 'team key issued');
    await shots.shot(page, 'team-key-issued');
  });

  it("reads a key change in the customer's activity, before and after in words", async () => {
    await stack.api(`/api/v1/admin/keys/${intern.id}`, {
      key: stack.adminKey,
      method: 'PATCH',
      body: { owner: 'lead@example.test', limits: { credits: 10 } },
    });
    await page.reload();
    const row = page.locator(`[data-testid="api-key-row"][data-key-id="${intern.id}"]`);
    await expect.poll(() => row.getByTestId('key-usage').textContent()).toBe('3 / 10 credits');
    const entry = page.getByText('API key changed').first();
    await entry.waitFor();
    const activity = await page.getByRole('region', { name: 'Activity' }).textContent();
    expect(activity).toContain('intern · intern@example.test · limits 3 credits · 20/min');
    expect(activity).toContain('intern · lead@example.test · limits 10 credits · 20/min');
    await shots.shot(page, 'team-key-changed');
  });

  it("edits a key's owner and limits in a dialog, the row and the activity showing the change", async () => {
    const row = page.locator(`[data-testid="api-key-row"][data-key-id="${intern.id}"]`);
    await row.getByTestId('edit-key').click();
    const dialog = page.getByTestId('edit-key-dialog');
    await dialog.waitFor();
    // Filled from the key as it is (changed to 10 credits by the previous case).
    expect(await dialog.getByLabel('Name').inputValue()).toBe('intern');
    expect(await dialog.getByLabel('Owner').inputValue()).toBe('lead@example.test');
    expect(await dialog.getByLabel('Credits per period').inputValue()).toBe('10');
    expect(await dialog.getByLabel('Requests per minute').inputValue()).toBe('20');
    expect(await dialog.getByLabel('Requests per day').inputValue()).toBe('');
    await expectAccessible(page, 'edit key dialog');

    // A figure that is not a whole number: the service's error in the dialog, the key unchanged.
    await dialog.getByLabel('Credits per period').fill('ten');
    await dialog.getByTestId('dialog-submit').click();
    const alert = dialog.getByRole('alert');
    await expect.poll(() => alert.textContent()).toContain('limits.credits');
    expect(await dialog.isVisible()).toBe(true);
    await shots.shot(page, 'team-key-edit-refused');
    const stored = await stack.api<{ api_keys: { id: string; limits: unknown }[] }>(
      `/api/v1/admin/customers/${customer.id}`,
      { key: stack.adminKey },
    );
    expect(stored.api_keys.find((key) => key.id === intern.id)?.limits).toEqual({
      credits: 10,
      requests_per_minute: 20,
      requests_per_day: null,
    });

    await dialog.getByLabel('Owner').fill('team@example.test');
    await dialog.getByLabel('Credits per period').fill('5');
    await dialog.getByLabel('Requests per minute').fill('');
    await dialog.getByLabel('Requests per day').fill('100');
    await dialog.getByTestId('dialog-submit').click();
    await dialog.waitFor({ state: 'detached' });

    await expect.poll(() => row.getByTestId('key-limits').textContent()).toBe('5 credits · 100/day');
    expect(await row.locator('td[data-label="Owner"]').textContent()).toBe('team@example.test');
    expect(await row.getByTestId('key-usage').textContent()).toBe('3 / 5 credits');
    const activity = page.getByRole('region', { name: 'Activity' });
    await expect
      .poll(() => activity.textContent())
      .toContain('intern · team@example.test · limits 5 credits · 100/day');
    expect(await activity.textContent()).toContain('intern · lead@example.test · limits 10 credits · 20/min');
    await expectAccessible(page, 'team key edited');
    await shots.shot(page, 'team-key-edited');
  });
});
