/**
 * The admin console in a real browser against `npm start`'s stack: an operator signs in, finds a
 * customer whose renewal failed and who is now suspended, reactivates them, issues and revokes a key,
 * sorts the customer list by name (the API sorts), watches MRR grow when another customer subscribes,
 * and replays a webhook event; creates a customer from the console and reads a customer's own billing
 * actions in its activity, in words. Every view is
 * checked with axe; the customer views also at phone width; the sign-in form and the Reactivate
 * dialog are driven by keyboard only. Screenshots of each step go to test-results/admin-console/.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  expectAccessible,
  hasChromium,
  horizontalOverflow,
  launchBrowser,
  layoutShift,
  Screenshots,
  trackLayoutShift,
} from './support/browser.js';
import { type Stack, startStack } from './support/stack.js';

const DAY = 86_400;

interface AdminCustomer {
  customer: {
    id: string;
    status: string;
    stripe_customer_id: string | null;
    current_period_start: string | null;
    current_period_end: string | null;
  };
}

/** Makes a customer's renewals fail: attaches the card that declines every charge as the default. */
async function useDecliningCard(stack: Stack, stripeCustomerId: string): Promise<void> {
  const stripe = async (path: string, form: Record<string, string>) => {
    const response = await fetch(stack.emulatorUrl + path, {
      method: 'POST',
      headers: {
        Authorization: 'Bearer sk_test_admin_console',
        'Content-Type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams(form).toString(),
    });
    const body = (await response.json()) as { id: string };
    if (!response.ok)
      throw new Error(`emulator ${path} answered ${response.status}: ${JSON.stringify(body)}`);
    return body;
  };
  const card = await stripe('/v1/payment_methods/pm_card_chargeCustomerFail/attach', {
    customer: stripeCustomerId,
  });
  await stripe(`/v1/customers/${stripeCustomerId}`, { 'invoice_settings[default_payment_method]': card.id });
}

/** What the test reads of the page's globals (this file is type-checked without the DOM lib). */
interface DocumentHolder {
  document: { activeElement: { id: string } | null };
}

/** The focused element, compared with a button in the page. */
interface FocusHolder {
  document: { activeElement: unknown };
}

interface StorageHolder {
  sessionStorage: { getItem(key: string): string | null; setItem(key: string, value: string): void };
}

/** The id of the focused element, to check where keyboard focus is. */
function focusedId(page: Page): Promise<string | undefined> {
  return page.evaluate(() => (globalThis as unknown as DocumentHolder).document.activeElement?.id);
}

const skipReason = hasChromium ? '' : ' (skipped: /usr/bin/chromium is not installed)';

describe.skipIf(!hasChromium)(`admin console${skipReason}`, () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  const shots = new Screenshots('admin-console');
  let failing: { id: string; key: string };
  const failingName = 'Failing Fred Renewals';

  const heading = (name: string) => page.getByRole('heading', { level: 1, name });
  const open = async (path: string, title: string) => {
    await page.goto(stack.base + path);
    await heading(title).waitFor();
  };

  beforeAll(async () => {
    stack = await startStack('admin-console');
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(15_000);
    await trackLayoutShift(page);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('refuses a customer key, then signs in with the admin key using the keyboard only', async () => {
    await page.goto(`${stack.base}/admin`);
    const input = page.getByLabel('Admin key');
    await input.waitFor();
    await expectAccessible(page, 'sign-in');
    await shots.shot(page, 'sign-in');

    // The input has focus on load: type and press Enter, no pointer.
    await expect.poll(() => focusedId(page)).toBe('admin-key');
    await page.keyboard.type(stack.customerKey);
    await page.keyboard.press('Enter');
    await expect
      .poll(() => page.getByTestId('sign-in-error').textContent())
      .toContain('This key is not an admin key');
    await shots.shot(page, 'sign-in-refused');
    await page.setViewportSize({ width: 375, height: 740 });
    await expectAccessible(page, 'sign-in refused at 375 px');
    await shots.shot(page, 'sign-in-refused-phone');
    await page.setViewportSize({ width: 1280, height: 900 });

    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.type(stack.adminKey);
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await heading('Customers').waitFor();
    expect(page.url()).toBe(`${stack.base}/admin/customers`);
    await expect.poll(() => page.getByTestId('nav-customers').getAttribute('aria-current')).toBe('page');
    await page.getByTestId('customer-row').first().waitFor();
    await expectAccessible(page, 'customers');
    await shots.shot(page, 'customers');
  });

  it('a customer whose renewal fails is suspended once the grace period is over', async () => {
    failing = await stack.createCustomer({ name: failingName, email: 'fred@example.test' });
    await stack.api('/api/v1/billing/subscribe', {
      key: failing.key,
      body: { tier: 'starter', payment_method_id: 'pm_card_visa', trial: false },
    });
    const before = await stack.api<AdminCustomer>(`/api/v1/admin/customers/${failing.id}`, {
      key: stack.adminKey,
    });
    await useDecliningCard(stack, before.customer.stripe_customer_id ?? '');
    const periodMs =
      Date.parse(before.customer.current_period_end ?? '') -
      Date.parse(before.customer.current_period_start ?? '');
    // Past the renewal (charged an hour after the period ends), then past the 3 days of grace.
    await stack.advanceClock(periodMs / 1000 + 2 * 3600);
    await stack.advanceClock(3 * DAY + 3600);
    const after = await stack.api<AdminCustomer>(`/api/v1/admin/customers/${failing.id}`, {
      key: stack.adminKey,
    });
    expect(after.customer.status).toBe('suspended');
  });

  it('finds the customer by name and by status suspended, and the filters survive a reload', async () => {
    await open('/admin/customers', 'Customers');
    await page.getByLabel('Search').fill('Failing Fred');
    await page.getByLabel('Search').press('Enter');
    await expect.poll(() => page.url()).toContain('search=Failing+Fred');
    await page.getByLabel('Status').selectOption('suspended');
    await expect.poll(() => page.url()).toContain('status=suspended');
    const rows = page.getByTestId('customer-row');
    await expect.poll(() => rows.count()).toBe(1);
    await expect.poll(() => rows.first().getAttribute('data-customer-id')).toBe(failing.id);
    expect(await rows.first().getByTestId('status-badge').textContent()).toBe('suspended');
    // One row: the count agrees with it.
    await expect
      .poll(() => page.getByTestId('customers').getByRole('status').last().textContent())
      .toBe('1 customer shown, all loaded');
    await shots.shot(page, 'customers-filtered-suspended');

    await page.reload();
    await heading('Customers').waitFor();
    expect(await page.getByLabel('Status').inputValue()).toBe('suspended');
    expect(await page.getByLabel('Search').inputValue()).toBe('Failing Fred');
    await expect.poll(() => rows.count()).toBe(1);

    await page.getByLabel('Search').fill('nobody by this name');
    await page.getByLabel('Search').press('Enter');
    await page.getByTestId('empty-state').waitFor();
    expect(await page.getByTestId('empty-state').textContent()).toContain('No customers match');
    await shots.shot(page, 'customers-empty');
  });

  it('sorts customers by name on the server, both ways, and the order survives a reload', async () => {
    // Created out of name order; the search keeps the list to these (other tests add customers too).
    for (const name of ['Sortable Zed', 'Sortable amy', 'Sortable Mia', 'Sortable bob']) {
      await stack.createCustomer({ name });
    }
    const ascending = ['Sortable amy', 'Sortable bob', 'Sortable Mia', 'Sortable Zed'];
    await open('/admin/customers?search=Sortable', 'Customers');
    const rows = page.getByTestId('customer-row');
    const names = () => rows.locator('td[data-label="Customer"] a').allTextContents();
    const header = (label: string) => page.getByRole('columnheader', { name: label });
    await expect.poll(() => rows.count()).toBe(4);
    // Newest first by default; credits (per billing period) are not sortable.
    expect(await header('Created').getAttribute('aria-sort')).toBe('descending');
    expect(await header('Credits used').getByRole('button').count()).toBe(0);
    expect(await header('Credits used').getAttribute('aria-sort')).toBeNull();

    const sortedRequest = (sort: string) =>
      page.waitForRequest(
        (request) =>
          request.url().includes('/api/v1/admin/customers?') &&
          new URL(request.url()).searchParams.get('sort') === sort,
      );
    let asked = sortedRequest('name');
    await page.getByTestId('sort-name').click();
    await asked;
    await expect.poll(() => page.url()).toContain('sort=name');
    await expect.poll(names).toEqual(ascending);
    expect(await header('Customer').getAttribute('aria-sort')).toBe('ascending');
    expect(await header('Created').getAttribute('aria-sort')).toBe('none');
    // The button keeps the focus across the reload of the rows, so the keyboard can sort again.
    const sortNameFocused = () =>
      page
        .getByTestId('sort-name')
        .evaluate((button) => button === (globalThis as unknown as FocusHolder).document.activeElement);
    await expect.poll(sortNameFocused).toBe(true);
    await expectAccessible(page, 'customers sorted by name');
    await shots.shot(page, 'customers-sorted-name');

    asked = sortedRequest('-name');
    await page.keyboard.press('Enter');
    await asked;
    await expect.poll(() => page.url()).toContain('sort=-name');
    await expect.poll(names).toEqual([...ascending].reverse());
    expect(await header('Customer').getAttribute('aria-sort')).toBe('descending');

    await page.reload();
    await heading('Customers').waitFor();
    await expect.poll(names).toEqual([...ascending].reverse());
    expect(await header('Customer').getAttribute('aria-sort')).toBe('descending');
  });

  it('opens the customer page: suspended, then reactivated with a reason using the keyboard only', async () => {
    await open('/admin/customers?status=suspended', 'Customers');
    await page.getByRole('link', { name: failingName }).click();
    await heading(failingName).waitFor();
    expect(page.url()).toBe(`${stack.base}/admin/customers/${failing.id}`);
    const status = page.getByTestId('customer-status').getByTestId('status-badge');
    expect(await status.textContent()).toBe('suspended');
    await page.getByTestId('customer-invoices').getByTestId('invoice-row').first().waitFor();
    await expectAccessible(page, 'customer page');
    await shots.shot(page, 'customer-suspended');

    await page.getByTestId('reactivate').focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByTestId('reactivate-dialog');
    await dialog.waitFor();
    await expect.poll(() => focusedId(page)).toBe('reactivate-reason');
    await page.keyboard.type('Paid by bank transfer');
    await expectAccessible(page, 'reactivate dialog');
    await shots.shot(page, 'reactivate-dialog');
    await page.keyboard.press('Tab'); // Cancel
    await page.keyboard.press('Tab'); // Reactivate
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'detached' });

    await expect.poll(() => status.textContent()).toBe('active');
    expect(await page.getByTestId('customer-announcement').textContent()).toContain('now active');
    const reactivated = page.locator('[data-testid="audit-event"][data-action="customer.reactivated"]');
    await reactivated.first().waitFor();
    expect(await reactivated.first().textContent()).toContain('Paid by bank transfer');
    await shots.shot(page, 'customer-reactivated');
  });

  it('issues a key shown once, then revokes it after a confirmation', async () => {
    const keys = page.getByTestId('api-key-row');
    const before = await keys.count();
    await page.getByLabel('New key name (optional)').fill('console test');
    await page.getByTestId('issue-key').click();
    const secret = page.getByTestId('issued-key-value');
    await secret.waitFor();
    const key = await secret.inputValue();
    expect(key).toMatch(/^tg_live_/);
    expect(await page.getByTestId('issued-key').textContent()).toContain('will not be shown again');
    await expect.poll(() => keys.count()).toBe(before + 1);
    await stack.api('/api/v1/usage', { key });
    await shots.shot(page, 'key-issued');

    const row = keys.filter({ hasText: 'console test' });
    await row.getByTestId('revoke-key').click();
    const dialog = page.getByTestId('revoke-dialog');
    await dialog.waitFor();
    await shots.shot(page, 'revoke-dialog');
    await dialog.getByTestId('dialog-submit').click();
    await dialog.waitFor({ state: 'detached' });
    await expect.poll(() => row.getAttribute('data-revoked')).toBe('true');
    await expect(stack.api('/api/v1/usage', { key })).rejects.toThrow(/401/);
    await shots.shot(page, 'key-revoked');
  });

  it('creates a customer from the console with its first key shown once, at 1280 and 375 px', async () => {
    for (const [width, name] of [
      [1280, 'Console Carla'],
      [375, 'Console Cody'],
    ] as const) {
      await page.setViewportSize({ width, height: width === 375 ? 740 : 900 });
      await open('/admin/customers', 'Customers');
      await page.getByTestId('new-customer').click();
      const dialog = page.getByTestId('new-customer-dialog');
      await dialog.waitFor();
      await dialog.getByLabel('Email').fill('not an email');
      await dialog.getByLabel('Name').fill(name);
      await dialog.getByLabel('Plan').selectOption({ label: 'Starter' });
      await dialog.getByTestId('dialog-submit').click();
      // The browser refuses the email before anything is sent; the dialog stays open.
      const emailValid = () =>
        dialog
          .getByLabel('Email')
          .evaluate((input) => (input as unknown as { validity: { valid: boolean } }).validity.valid);
      await expect.poll(emailValid).toBe(false);
      expect(await dialog.isVisible()).toBe(true);
      await dialog.getByLabel('Email').fill(`${name.split(' ')[1]?.toLowerCase()}@example.test`);
      await expectAccessible(page, `new customer dialog at ${width}`);
      await shots.shot(page, `new-customer-dialog-${width}`);
      await dialog.getByTestId('dialog-submit').click();
      await dialog.waitFor({ state: 'detached' });

      const created = page.getByTestId('new-customer-created');
      await created.waitFor();
      expect(await created.textContent()).toContain(`Created ${name} on the Starter plan.`);
      const key = await page.getByTestId('issued-key-value').inputValue();
      expect(key).toMatch(/^tg_live_/);
      expect(await page.getByTestId('copy-key').isVisible()).toBe(true);
      // The key works, and the list shows the new customer.
      const usage = await stack.api<{ subscription_tier: string }>('/api/v1/usage', { key });
      expect(usage.subscription_tier).toBe('starter');
      await page.getByTestId('customer-row').filter({ hasText: name }).waitFor();
      expect(await horizontalOverflow(page)).toBe(false);
      await expectAccessible(page, `new customer created at ${width}`);
      await shots.shot(page, `new-customer-created-${width}`);
    }
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it("shows the customer's own billing actions in words: plan names, amounts, no raw keys or mid-id wraps", async () => {
    const ann = await stack.createCustomer({ name: 'Auditing Ann', email: 'ann@example.test' });
    const call = (path: string, body: unknown = {}) => stack.api(path, { key: ann.key, body });
    await call('/api/v1/billing/subscribe', {
      tier: 'starter',
      payment_method_id: 'pm_card_visa',
      trial: false,
    });
    await call('/api/v1/billing/upgrade', { new_tier: 'pro' });
    await call('/api/v1/billing/cancel');
    await call('/api/v1/billing/resume');
    const invoices = await stack.api<{ invoices: { amount_paid: number; billing_reason: string }[] }>(
      '/api/v1/billing/invoices',
      { key: ann.key },
    );
    const charged = invoices.invoices.find((invoice) => invoice.billing_reason === 'subscription_update');
    expect(charged?.amount_paid).toBeGreaterThan(0);

    for (const width of [1280, 375]) {
      await page.setViewportSize({ width, height: width === 375 ? 740 : 900 });
      await open(`/admin/customers/${ann.id}`, 'Auditing Ann');
      const events = page.getByTestId('audit-event');
      await expect.poll(() => events.count()).toBeGreaterThanOrEqual(4);
      const titles = await page.getByTestId('audit-title').allTextContents();
      // The customer's own actions, newest first (webhook entries such as status changes sit between).
      const own = await events
        .filter({ hasText: 'by the customer' })
        .getByTestId('audit-title')
        .allTextContents();
      expect(own.slice(0, 4)).toEqual([
        'Cancellation undone',
        'Cancellation scheduled',
        'Upgraded',
        'Subscribed',
      ]);
      // Titles are sentence case: a capital first letter, no dotted or snake_case action names.
      for (const title of titles) expect(title).toMatch(/^[A-Z][^._]*$/);
      const upgraded = page.locator('[data-testid="audit-event"][data-action="subscription.upgraded"]');
      const upgradedText = (await upgraded.textContent()) ?? '';
      expect(upgradedText).toContain('Starter → Pro');
      expect(upgradedText).toContain(`$${Math.trunc((charged?.amount_paid ?? 0) / 100)}.`);
      expect(upgradedText).toContain('by the customer (API key');
      const details = (await page.getByTestId('audit-details').allTextContents()).join(' ');
      expect(details).not.toMatch(/fromPlan|toPlan|stripeEventId|subscriptionId|amountCharged/);
      expect(details).not.toMatch(/\bstarter\b|\bpro\b/);
      // The subscription card names the plan; an id is one line (cut with an ellipsis, never wrapped).
      const subscription = (await page.getByTestId('customer-subscription').textContent()) ?? '';
      expect(subscription).toContain('Pro');
      expect(subscription).toContain('Monthly');
      const idHeights = await page.locator('.tg-id').evaluateAll((nodes) =>
        nodes.map((node) => {
          const element = node as unknown as { getClientRects(): { length: number } };
          return element.getClientRects().length;
        }),
      );
      expect(idHeights.length).toBeGreaterThan(0);
      expect(idHeights.every((lines) => lines === 1)).toBe(true);
      // A period shows once when it starts and ends on the same day, never "X – X".
      for (const text of await page
        .getByTestId('customer-invoices')
        .locator('td[data-label="Period"]')
        .allTextContents()) {
        const [from, to] = text.split(' – ');
        expect(from).not.toBe(to);
      }
      expect(await horizontalOverflow(page)).toBe(false);
      await expectAccessible(page, `customer activity at ${width}`);
      await shots.shot(page, `customer-activity-${width}`);
    }
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('fits a 375 px phone without sideways scrolling or layout shift: customers and the customer page', async () => {
    await page.setViewportSize({ width: 375, height: 740 });
    try {
      await open('/admin/customers', 'Customers');
      await page.getByTestId('customer-row').first().waitFor();
      expect(await horizontalOverflow(page)).toBe(false);
      expect(await layoutShift(page)).toBeLessThan(0.1);
      await shots.shot(page, 'customers-phone');
      await open(`/admin/customers/${failing.id}`, failingName);
      await page.getByTestId('api-key-row').first().waitFor();
      await page.waitForLoadState('networkidle');
      expect(await horizontalOverflow(page)).toBe(false);
      expect(await layoutShift(page)).toBeLessThan(0.1);
      await shots.shot(page, 'customer-phone');
    } finally {
      await page.setViewportSize({ width: 1280, height: 900 });
    }
  });

  it('lists invoices with a status filter, links to the customer and the hosted invoice', async () => {
    await open('/admin/invoices', 'Invoices');
    const rows = page.getByTestId('invoice-row');
    await rows.first().waitFor();
    expect(await page.getByTestId('nav-invoices').getAttribute('aria-current')).toBe('page');
    await expectAccessible(page, 'invoices');
    await shots.shot(page, 'invoices');
    await page.getByLabel('Status').selectOption('open');
    await expect.poll(() => page.url()).toContain('status=open');
    await rows.first().waitFor();
    const statuses = await rows.getByTestId('status-badge').allTextContents();
    expect(statuses.length).toBeGreaterThan(0);
    expect(new Set(statuses)).toEqual(new Set(['open']));
    expect(
      await rows
        .first()
        .getByRole('link', { name: /^Invoice/ })
        .getAttribute('href'),
    ).toMatch(/^http/);
    expect(await rows.first().getByRole('link', { name: failing.id }).count()).toBe(1);
    await shots.shot(page, 'invoices-open');
  });

  it('shows MRR, and after another customer subscribes to pro a refresh adds its price', async () => {
    await open('/admin/revenue', 'Revenue');
    const mrr = page.getByTestId('revenue-mrr');
    await mrr.waitFor();
    const before = Number(await mrr.getAttribute('data-value'));
    expect(before).toBeGreaterThan(0);
    await page.getByTestId('revenue-tiers').waitFor();
    // Tiers by plan name; a rate of 0 of 0 is "—" with the reason, not "0.00%".
    const tiers = await page.getByTestId('tier-row').locator('td:first-child').allTextContents();
    expect(tiers.length).toBeGreaterThan(0);
    for (const tier of tiers) expect(tier).toMatch(/^[A-Z]/);
    const figures = await stack.api<{ trial_conversion: { ended: number } }>('/api/v1/admin/revenue', {
      key: stack.adminKey,
    });
    const conversion = (await page.getByTestId('revenue-trial-conversion').textContent()) ?? '';
    if (figures.trial_conversion.ended === 0) {
      expect(conversion).toContain('—');
      expect(conversion).toContain('No trials ended yet');
    } else expect(conversion).toMatch(/\d+\.\d\d%/);
    // Every month of the window is a bar with its amount written under it; labels in one date style.
    const history = await stack.api<{ collected: { month: string; amount: number }[] }>(
      '/api/v1/admin/revenue/history?days=90',
      { key: stack.adminKey },
    );
    const values = page.getByTestId('collected-history').getByTestId('chart-values').locator('span');
    await expect.poll(() => values.count()).toBe(history.collected.length);
    const emptyMonths = history.collected.filter((month) => month.amount === 0).length;
    expect((await values.allTextContents()).filter((text) => text === '$0.00').length).toBe(emptyMonths);
    const labels = await page.locator('.tg-chart-labels:not([data-testid]) span').allTextContents();
    for (const label of labels) expect(label).toMatch(/^[A-Z][a-z]{2} \d{1,4}$/);
    await expectAccessible(page, 'revenue');
    await shots.shot(page, 'revenue');
    await page.setViewportSize({ width: 375, height: 740 });
    expect(await horizontalOverflow(page)).toBe(false);
    await shots.shot(page, 'revenue-phone');
    await page.setViewportSize({ width: 1280, height: 900 });

    const plans = await stack.api<{ plans: { id: string; prices: { month: number | null } }[] }>(
      '/api/v1/plans',
    );
    const proPrice = plans.plans.find((plan) => plan.id === 'pro')?.prices.month ?? 0;
    expect(proPrice).toBeGreaterThan(0);
    const paying = await stack.createCustomer({ name: 'Paying Pat', email: 'pat@example.test' });
    await stack.api('/api/v1/billing/subscribe', {
      key: paying.key,
      body: { tier: 'pro', payment_method_id: 'pm_card_visa', trial: false },
    });

    await page.getByTestId('revenue-refresh').click();
    await expect.poll(async () => Number(await mrr.getAttribute('data-value'))).toBe(before + proPrice);
    await shots.shot(page, 'revenue-refreshed');
  });

  it('lists webhook events and replaying one shows its status', async () => {
    await open('/admin/events', 'Webhook events');
    const rows = page.getByTestId('event-row');
    await rows.first().waitFor();
    await expectAccessible(page, 'webhook events');
    await shots.shot(page, 'events');
    await page.getByLabel('Type').fill('invoice.paid');
    await page.getByLabel('Type').press('Enter');
    await expect.poll(() => page.url()).toContain('type=invoice.paid');
    await expect
      .poll(async () => new Set(await rows.locator('td[data-label="Type"]').allTextContents()))
      .toEqual(new Set(['invoice.paid']));
    const first = rows.first();
    await first.getByTestId('replay-event').click();
    await expect.poll(() => first.getByTestId('replay-result').textContent()).toBe('Replayed: processed');
    await shots.shot(page, 'event-replayed');
  });

  it('signs out back to the form; a stored key the API refuses returns there with its message', async () => {
    await page.getByTestId('sign-out').click();
    await page.getByLabel('Admin key').waitFor();
    await page.goto(`${stack.base}/admin/revenue`);
    await page.getByLabel('Admin key').waitFor();

    await page.evaluate(() =>
      (globalThis as unknown as StorageHolder).sessionStorage.setItem(
        'tollgate.admin-key',
        'tg_admin_not_a_key',
      ),
    );
    await page.reload();
    await page.getByLabel('Admin key').waitFor();
    await expect
      .poll(() => page.getByTestId('sign-in-error').textContent())
      .toContain('This key was not accepted');
    expect(
      await page.evaluate(() =>
        (globalThis as unknown as StorageHolder).sessionStorage.getItem('tollgate.admin-key'),
      ),
    ).toBeNull();
    await shots.shot(page, 'key-refused');
  });
});
