/**
 * The customer billing page in a real browser against `npm start`'s stack: opened by a one-time link,
 * usage bars that move with API calls, an upgrade through the emulator's hosted Checkout, a failed
 * renewal through grace and suspension to recovery by paying the invoice, and the page's promises
 * (accessibility, phone width, no layout shift, keyboard use, embedding). Each step is screenshotted
 * to test-results/billing-page*. Pages run under the server's strict CSP; a CSP violation fails.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  axeSource,
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

/** The page's globals these tests read (this file is type-checked without the DOM lib). */
interface PageGlobals {
  sessionStorage: { getItem(key: string): string | null; setItem(key: string, value: string): void };
  location: { href: string; search: string };
  document: {
    activeElement: { getAttribute(name: string): string | null; closest(selector: string): unknown } | null;
    documentElement: { style: { getPropertyValue(name: string): string } };
  };
  getComputedStyle(element: unknown): { backgroundColor: string; getPropertyValue(name: string): string };
  __messages?: { type?: string; height?: number }[];
}

/**
 * A browser context per customer (its own sessionStorage). axe is added as an init script, which the
 * page's CSP does not apply to (expectAccessible's inline script tag would be refused); CSP reports in
 * the console are collected so a test can assert there were none.
 */
async function newPage(browser: Browser, viewport = { width: 1200, height: 900 }) {
  const context: BrowserContext = await browser.newContext({ viewport });
  await context.addInitScript({ content: axeSource });
  const page = await context.newPage();
  const cspErrors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy/i.test(message.text()))
      cspErrors.push(message.text());
  });
  page.on('pageerror', (error) => cspErrors.push(`page error: ${error.message}`));
  return { context, page, cspErrors };
}

function meter(page: Page, id: string) {
  return page.locator(`[data-testid=meter-${id}] [role=progressbar]`);
}

async function meterValue(page: Page, id: string): Promise<number> {
  return Number(await meter(page, id).getAttribute('aria-valuenow'));
}

async function storedSession(page: Page): Promise<string | null> {
  return page.evaluate(() =>
    (globalThis as unknown as PageGlobals).sessionStorage.getItem('tollgate.billing.session'),
  );
}

function activeTestId(page: Page): Promise<string | null> {
  return page.evaluate(
    () => (globalThis as unknown as PageGlobals).document.activeElement?.getAttribute('data-testid') ?? null,
  );
}

if (!hasChromium) {
  it.skip('billing page browser tests (skipped: /usr/bin/chromium is not installed)', () => {});
} else {
  describe('billing page: link, usage, upgrade through Checkout, page qualities', () => {
    let stack: Stack;
    let browser: Browser;
    const shots = new Screenshots('billing-page');

    beforeAll(async () => {
      [stack, browser] = await Promise.all([startStack('billing-page'), launchBrowser()]);
    }, 120_000);
    afterAll(async () => {
      await browser?.close();
      await stack?.stop();
    });

    it('opens from a one-time link, shows the free plan and usage that moves with API calls, keeps the session on reload, refuses the link twice', async () => {
      const link = await stack.dashboardLink(stack.customerKey, {
        return_url: 'https://app.example.com/settings',
      });
      const { context, page, cspErrors } = await newPage(browser);
      await trackLayoutShift(page);
      await page.goto(link);
      await page.getByTestId('plan-name').waitFor();
      await meter(page, 'credits').waitFor();
      expect(await page.getByTestId('plan-name').textContent()).toBe('Free');
      expect(page.url()).not.toContain('token=');
      expect(await storedSession(page)).toContain('tgs_');
      expect(await storedSession(page)).not.toContain('tg_live_');
      expect(await page.getByTestId('back-link').textContent()).toContain('Back to app.example.com');
      expect(await page.locator('[data-testid=plan-free] [data-testid=current-marker]').count()).toBe(1);
      await page.getByTestId('usage-chart').waitFor();
      expect(await layoutShift(page)).toBeLessThan(0.1);
      await shots.shot(page, 'free plan opened from link');
      const before = await meterValue(page, 'credits');
      const beforeDetail = await page.getByTestId('meter-credits-detail').textContent();

      for (let call = 0; call < 3; call += 1) {
        await stack.api('/api/v1/capture', { key: stack.customerKey, body: {} });
        await stack.api('/api/v1/search', { key: stack.customerKey, body: {} });
      }
      // 3 x capture (1 credit) + 3 x search (0.1) = 3.3 credits of 100: the bar moves on the next poll.
      await expect
        .poll(() => page.getByTestId('meter-credits-detail').textContent(), { timeout: 15_000 })
        .toBe('3.3 of 100 credits');
      expect(beforeDetail).toBe('0 of 100 credits');
      expect(await meterValue(page, 'credits')).toBe(before + 3);
      expect(Number(await meter(page, 'requests-day').getAttribute('aria-valuenow'))).toBeGreaterThanOrEqual(
        6,
      );
      await shots.shot(page, 'usage moved after api calls');

      await page.reload();
      await page.getByTestId('plan-name').waitFor();
      expect(await page.getByTestId('meter-credits-detail').textContent()).toBe('3.3 of 100 credits');
      await shots.shot(page, 'reload keeps the session');

      // The same link a second time, in another tab: already used.
      const second = await context.newPage();
      await second.goto(link);
      await second.getByTestId('expired').waitFor();
      expect(await second.getByTestId('expired').textContent()).toContain(
        'This billing link has expired or was already used',
      );
      expect(second.url()).not.toContain('token=');
      await shots.shot(second, 'link used twice shows expired');
      await second.close();

      // Without any link (a bookmark, an upgrade_url): where to open billing from, not "expired".
      const bare = await browser.newPage();
      await bare.goto(`${stack.base}/billing`);
      await bare.getByTestId('expired').waitFor();
      expect(await bare.getByRole('heading', { level: 2 }).textContent()).toBe(
        'Open billing from your account',
      );
      await shots.shot(bare, 'opened without a link');
      await bare.close();

      // A session the server no longer accepts ends on the first call, with the way back to the app.
      await page.evaluate(() => {
        const g = globalThis as unknown as PageGlobals;
        const session = JSON.parse(g.sessionStorage.getItem('tollgate.billing.session') ?? '{}');
        g.sessionStorage.setItem(
          'tollgate.billing.session',
          JSON.stringify({ ...session, token: 'tgs_revoked' }),
        );
      });
      await page.reload();
      await page.getByTestId('expired').waitFor();
      expect(await page.getByTestId('expired-return-link').getAttribute('href')).toBe(
        'https://app.example.com/settings',
      );
      expect(await storedSession(page)).toBeNull();
      await shots.shot(page, 'expired session links back to the app');
      await expectAccessible(page, 'the expired page');
      expect(cspErrors).toEqual([]);
      await context.close();
    }, 90_000);

    it('upgrades through the hosted Checkout and shows the new plan and its paid invoice', async () => {
      const customer = await stack.createCustomer({ name: 'Checkout Co', email: 'pay@checkout.example' });
      const { context, page, cspErrors } = await newPage(browser);
      await page.goto(await stack.dashboardLink(customer.key));
      const pro = page.getByTestId('plan-pro');
      await pro.getByTestId('checkout').waitFor();
      await shots.shot(page, 'checkout before');
      await pro.getByTestId('checkout').click();
      await page.waitForURL(/\/c\/pay\//);
      await page.getByTestId('card-pm_card_visa').check();
      await shots.shot(page, 'emulator checkout page');
      await page.getByTestId('submit').click();
      await page.waitForURL(/\/billing$/);
      await expect.poll(() => page.getByTestId('plan-name').textContent(), { timeout: 20_000 }).toBe('Pro');
      await page.getByTestId('checkout-done').waitFor({ timeout: 20_000 });
      await page.locator('[data-testid=invoice-row][data-status=paid]').first().waitFor({ timeout: 15_000 });
      expect(await page.locator('[data-testid=plan-pro] [data-testid=current-marker]').count()).toBe(1);
      expect(await page.getByTestId('payment-method').first().textContent()).toContain('4242');
      await shots.shot(page, 'pro after checkout with paid invoice');
      await expectAccessible(page, 'the page on a paid plan');
      expect(cspErrors).toEqual([]);
      await context.close();
    }, 90_000);

    it('starts a trial without a card and shows the days left; after it, offers no second one', async () => {
      const customer = await stack.createCustomer({ name: 'Trial Tea', email: 'try@trial.example' });
      const { context, page, cspErrors } = await newPage(browser);
      await page.goto(await stack.dashboardLink(customer.key));
      await page.locator('[data-testid=plan-starter] [data-testid=start-trial]').click();
      await page.getByTestId('trial-banner').waitFor();
      expect(await page.getByTestId('trial-banner').textContent()).toMatch(/Trial: 1[34] days left/);
      expect(await page.getByTestId('plan-status').textContent()).toContain(
        '14-day trial of Starter has started',
      );
      expect(await page.getByTestId('plan-name').textContent()).toBe('Starter');
      await shots.shot(page, 'trial started');
      await expectAccessible(page, 'the page in a trial');

      // Canceled, the customer is back on the free plan, and the trial was the one trial.
      await stack.api('/api/v1/billing/cancel', { key: customer.key, body: { immediate: true } });
      await page.reload();
      await page.locator('[data-testid=plan-pro] [data-testid=trial-used]').waitFor();
      expect(await page.getByTestId('start-trial').count()).toBe(0);
      expect(await page.locator('[data-testid=plan-pro] [data-testid=checkout]').isEnabled()).toBe(true);
      await shots.shot(page, 'trial used: checkout only');
      expect(cspErrors).toEqual([]);
      await context.close();
    }, 60_000);

    it('is accessible, fits a 375 px phone without layout shift, works from the keyboard', async () => {
      const customer = await stack.createCustomer({ name: 'Keyboard Ltd', email: 'keys@keyboard.example' });
      await stack.api('/api/v1/billing/subscribe', {
        key: customer.key,
        body: { tier: 'starter', payment_method_id: 'pm_card_visa', trial: false },
      });
      const { context, page } = await newPage(browser, { width: 375, height: 740 });
      await trackLayoutShift(page);
      await page.goto(await stack.dashboardLink(customer.key, { return_url: 'https://app.example.com/' }));
      await page.locator('[data-testid=invoice-row]').first().waitFor();
      await page.getByTestId('usage-chart').waitFor();
      await page.waitForTimeout(500);
      expect(await layoutShift(page)).toBeLessThan(0.1);
      expect(await horizontalOverflow(page)).toBe(false);
      await shots.shot(page, 'phone 375 starter');
      await expectAccessible(page, 'the page at 375 px');

      // Keyboard only: Tab to "Upgrade to Pro", Enter opens the confirmation, Escape closes it.
      let found = false;
      for (let step = 0; step < 80 && !found; step += 1) {
        await page.keyboard.press('Tab');
        const id = await activeTestId(page);
        const label = await page.evaluate(
          () =>
            (globalThis as unknown as PageGlobals).document.activeElement?.getAttribute('aria-label') ?? '',
        );
        found = id === 'change-upgrade' && label === 'Upgrade to Pro';
      }
      expect(found).toBe(true);
      await page.keyboard.press('Enter');
      const dialog = page.getByTestId('change-dialog');
      await expect.poll(() => dialog.evaluate((element) => (element as { open: boolean }).open)).toBe(true);
      expect(await activeTestId(page)).toBe('change-dialog-confirm');
      expect(await dialog.getByRole('heading').textContent()).toBe('Upgrade to Pro, billed monthly?');
      await shots.shot(page, 'upgrade confirmation dialog');
      await expectAccessible(page, 'the confirmation dialog');
      await page.keyboard.press('Escape');
      await expect.poll(() => dialog.evaluate((element) => (element as { open: boolean }).open)).toBe(false);
      expect(await activeTestId(page)).toBe('change-upgrade');

      // An API refusal stays in the dialog, in the API's words.
      await page.route('**/api/v1/billing/upgrade', (route) =>
        route.fulfill({
          status: 402,
          contentType: 'application/json',
          body: JSON.stringify({ error: 'payment_failed', message: 'Your card was declined.' }),
        }),
      );
      await page.keyboard.press('Enter');
      await expect.poll(() => activeTestId(page)).toBe('change-dialog-confirm');
      await page.keyboard.press('Enter');
      await page.getByTestId('change-dialog-error').waitFor();
      expect(await page.getByTestId('change-dialog-error').textContent()).toBe('Your card was declined.');
      await shots.shot(page, 'payment failed shown in the dialog');
      await page.unroute('**/api/v1/billing/upgrade');

      // Confirming again by keyboard changes the plan now, prorated.
      await page.getByTestId('change-dialog-confirm').focus();
      await page.keyboard.press('Enter');
      await expect.poll(() => page.getByTestId('plan-name').textContent(), { timeout: 15_000 }).toBe('Pro');
      expect(await page.getByTestId('change-status').textContent()).toContain('You are now on the Pro plan');
      expect(await horizontalOverflow(page)).toBe(false);
      await shots.shot(page, 'upgraded by keyboard');

      // Cancel at period end, then resume.
      await page.getByTestId('cancel-subscription').click();
      await page.getByTestId('cancel-dialog-confirm').click();
      await page.getByTestId('cancel-pending-banner').waitFor();
      await shots.shot(page, 'cancel pending with resume');
      await page.getByTestId('resume').click();
      await page.getByTestId('cancel-subscription').waitFor();
      expect(await page.getByTestId('resume-status').textContent()).toContain('continues');
      await context.close();
    }, 90_000);

    it('embeds in the app: theme colours applied, height posted to the host frame', async () => {
      const customer = await stack.createCustomer({ name: 'Embed Inc', email: 'frame@embed.example' });
      const link = await stack.dashboardLink(customer.key, {
        embed: true,
        return_url: 'https://app.example.com/',
        theme: { accent: '#aa0000', text: '#102030' },
      });
      const { context, page, cspErrors } = await newPage(browser);
      // A host page on the service's origin (the only frame ancestor allowed by default).
      await page.route(`${stack.base}/host-app`, (route) =>
        route.fulfill({
          contentType: 'text/html',
          body: `<!doctype html><html lang="en"><title>Host app</title><main><h1>Host app</h1>
<script>
window.__messages = [];
addEventListener('message', (event) => {
  window.__messages.push(event.data);
  if (event.data && event.data.type === 'tollgate:billing:resize')
    document.querySelector('iframe').style.height = event.data.height + 'px';
});
</script>
<iframe title="Billing" src="${link}" style="width: 100%; height: 400px; border: 0"></iframe></main></html>`,
        }),
      );
      await page.goto(`${stack.base}/host-app`);
      const frame = page.frameLocator('iframe');
      await frame.getByTestId('plan-name').waitFor();
      const accent = await frame
        .locator('[data-testid=plan-pro] [data-testid=checkout]')
        .evaluate(
          (element) => (globalThis as unknown as PageGlobals).getComputedStyle(element).backgroundColor,
        );
      expect(accent).toBe('rgb(170, 0, 0)');
      const text = await frame
        .locator('h1')
        .evaluate((element) =>
          (globalThis as unknown as PageGlobals).getComputedStyle(element).getPropertyValue('color'),
        );
      expect(text).toBe('rgb(16, 32, 48)');
      expect(await frame.getByTestId('back-link').count()).toBe(0);
      await expect
        .poll(() =>
          page.evaluate(
            () =>
              ((globalThis as unknown as PageGlobals).__messages ?? []).filter(
                (message) => message.type === 'tollgate:billing:resize' && (message.height ?? 0) > 400,
              ).length,
          ),
        )
        .toBeGreaterThan(0);
      // The host sized the frame to the page: no inner scrolling.
      await expect
        .poll(async () => (await page.locator('iframe').boundingBox())?.height ?? 0)
        .toBeGreaterThan(1000);
      await shots.shot(page, 'embedded with theme');
      expect(cspErrors).toEqual([]);

      // Stripe's pages refuse to be framed: Checkout opens in the top window and returns to the app.
      await frame.locator('[data-testid=plan-pro] [data-testid=checkout]').click();
      await page.waitForURL(/\/c\/pay\/cs_test_/);
      await shots.shot(page, 'embedded checkout opened in the top window');
      const sessions = await fetch(`${stack.emulatorUrl}/v1/checkout/sessions?limit=1`, {
        headers: { Authorization: 'Bearer sk_test_demo' },
      });
      const checkout = (await sessions.json()) as { data: { success_url: string; cancel_url: string }[] };
      expect(checkout.data[0]?.success_url).toBe('https://app.example.com/?tollgate_checkout=success');
      expect(checkout.data[0]?.cancel_url).toBe('https://app.example.com/?tollgate_checkout=canceled');
      await context.close();
    }, 60_000);
  });

  describe('billing page: failed renewal, grace, suspension, recovery', () => {
    let stack: Stack;
    let browser: Browser;
    const shots = new Screenshots('billing-page-renewal');

    beforeAll(async () => {
      [stack, browser] = await Promise.all([startStack('billing-page-renewal'), launchBrowser()]);
    }, 120_000);
    afterAll(async () => {
      await browser?.close();
      await stack?.stop();
    });

    it('shows the grace deadline, then the suspension, and recovers once the invoice is paid', async () => {
      const customer = await stack.createCustomer({ name: 'Failing Card', email: 'late@failing.example' });
      const subscribed = await stack.api<{
        subscription: { current_period_start: string; current_period_end: string };
      }>('/api/v1/billing/subscribe', {
        key: customer.key,
        body: { tier: 'starter', payment_method_id: 'pm_card_visa', trial: false },
      });
      const { context, page, cspErrors } = await newPage(browser);
      await page.goto(await stack.dashboardLink(customer.key));
      await page.getByTestId('renewal').waitFor();

      // The customer replaces the card in the Stripe portal with one that attaches but declines charges.
      await page.getByTestId('portal').click();
      await page.waitForURL(/\/p\/session\//);
      await page.getByTestId('card-pm_card_chargeCustomerFail').check();
      await page.getByTestId('replace-card').click();
      await page.getByTestId('default-card').filter({ hasText: '0341' }).waitFor();
      await shots.shot(page, 'portal card replaced');
      await page.getByTestId('return').click();
      await page.waitForURL(/\/billing$/);
      await page.getByTestId('payment-method').filter({ hasText: '0341' }).waitFor();

      // Past the period end: the renewal is charged an hour later and declines.
      const { current_period_start: start, current_period_end: end } = subscribed.subscription;
      await stack.advanceClock((Date.parse(end) - Date.parse(start)) / 1000 + 2 * 3600);
      // Billing time moved a month: the session opened before has expired with it; the app opens a new link.
      await page.goto(await stack.dashboardLink(customer.key));
      await page.getByTestId('past-due-banner').waitFor();
      const deadline = await page.getByTestId('grace-deadline').textContent();
      expect(deadline).toMatch(/\d/);
      await page.locator('[data-testid=invoice-row][data-status=open]').first().waitFor();
      expect(await page.getByTestId('banner-pay-now').count()).toBe(1);
      await shots.shot(page, 'past due grace banner');
      await expectAccessible(page, 'the past_due page');

      await stack.advanceClock(3 * DAY + 2 * 3600);
      await page.goto(await stack.dashboardLink(customer.key));
      await page.getByTestId('suspended-banner').waitFor();
      expect(await page.getByTestId('suspended-banner').textContent()).toContain('API requests are refused');
      await expect(stack.api('/api/v1/capture', { key: customer.key, body: {} })).rejects.toThrow(/403/);
      await shots.shot(page, 'suspended banner');
      await expectAccessible(page, 'the suspended page');

      // Recovery: "Pay now" opens the hosted invoice; pay with a good card, come back.
      const payUrl = await page
        .locator('[data-testid=invoice-row] [data-testid=pay-now]')
        .first()
        .getAttribute('href');
      expect(payUrl).toMatch(/\/i\//);
      await page.goto(payUrl!);
      await page.getByTestId('card-pm_card_visa').check();
      await shots.shot(page, 'hosted invoice page');
      await page.getByTestId('pay').click();
      await expect
        .poll(() => page.getByTestId('invoice-status').textContent(), { timeout: 15_000 })
        .toBe('paid');
      await page.goto(`${stack.base}/billing`);
      await expect
        .poll(() => page.locator('[data-testid=current-plan] [data-testid=status-badge]').textContent(), {
          timeout: 20_000,
        })
        .toBe('Active');
      expect(await page.getByTestId('suspended-banner').count()).toBe(0);
      await stack.api('/api/v1/capture', { key: customer.key, body: {} });
      await shots.shot(page, 'active again after paying');
      expect(cspErrors).toEqual([]);
      await context.close();
    }, 120_000);
  });
}
