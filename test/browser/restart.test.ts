/**
 * `npm start` stopped with Ctrl-C mid-flow and started again, as a user does: the billing page still
 * shows the paid plan and its invoice, Stripe (the kept emulator) still knows the customer (the Portal
 * opens and returns), the demo's admin key still signs in to the admin console and finds the customer,
 * and billing time goes on from where it was.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAccessible, hasChromium, launchBrowser, Screenshots } from './support/browser.js';
import { type Stack, startStack } from './support/stack.js';

const skipReason = hasChromium ? '' : ' (skipped: /usr/bin/chromium is not installed)';

describe.skipIf(!hasChromium)(`npm start restarted mid-flow${skipReason}`, () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  const shots = new Screenshots('restart');

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startStack('restart'), launchBrowser()]);
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(15_000);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('keeps the plan, invoices, Stripe customer, keys and billing time across a restart', async () => {
    const rita = await stack.createCustomer({ name: 'Restart Rita', email: 'rita@example.test' });
    await stack.api('/api/v1/billing/subscribe', {
      key: rita.key,
      body: { tier: 'starter', payment_method_id: 'pm_card_visa', trial: false },
    });
    await stack.advanceClock(86_400);
    const before = {
      adminKey: stack.adminKey,
      customerKey: stack.customerKey,
      subscription: await stack.api('/api/v1/billing/subscription', { key: rita.key }),
    };

    stack = await stack.restart();
    expect(stack.output()).toMatch(/continues on test clock clock_\w+ at 2027-02-01T10:00:00/);
    expect({ adminKey: stack.adminKey, customerKey: stack.customerKey }).toEqual({
      adminKey: before.adminKey,
      customerKey: before.customerKey,
    });
    expect(await stack.api('/api/v1/billing/subscription', { key: rita.key })).toEqual(before.subscription);

    // The billing page: the plan, the paid invoice, and the Portal of a Stripe that still knows her.
    await page.goto(await stack.dashboardLink(rita.key));
    await expect.poll(() => page.getByTestId('plan-name').textContent()).toBe('Starter');
    await page.locator('[data-testid=invoice-row][data-status=paid]').first().waitFor();
    await expectAccessible(page, 'the billing page after a restart');
    await shots.shot(page, 'billing page after restart');
    await page.getByTestId('portal').click();
    await page.waitForURL(/\/p\/session\//);
    await page.getByTestId('return').click();
    await page.waitForURL(/\/billing$/);
    await page.getByTestId('plan-name').waitFor();

    // The admin console: the same admin key signs in and finds her.
    await page.goto(`${stack.base}/admin`);
    await page.getByLabel('Admin key').fill(stack.adminKey);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Customers' }).waitFor();
    await page.goto(`${stack.base}/admin/customers/${rita.id}`);
    await page.getByRole('heading', { level: 1, name: 'Restart Rita' }).waitFor();
    await shots.shot(page, 'admin customer after restart');
  }, 120_000);
});
