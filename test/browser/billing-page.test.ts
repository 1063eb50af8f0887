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
  // Every console error (a 404 favicon included), with the URL of a failed request.
  const consoleErrors: string[] = [];
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    consoleErrors.push(`${message.text()} ${message.location().url}`);
    if (/Content Security Policy/i.test(message.text())) cspErrors.push(message.text());
  });
  page.on('pageerror', (error) => cspErrors.push(`page error: ${error.message}`));
  return { context, page, cspErrors, consoleErrors };
}

/** The messages shown at once (action outcomes and banners about a past action). */
async function shownMessages(page: Page): Promise<string[]> {
  const texts = await page
    .locator(
      '[data-testid$=-status-message], [data-testid$=-status-error], [data-testid=checkout-done], [data-testid=checkout-canceled]',
    )
    .allTextContents();
  return texts.map((text) => text.trim()).filter((text) => text.length > 0);
}

/** Top edges (px) of the elements, to compare what should sit on one line. */
async function tops(page: Page, selector: string): Promise<number[]> {
  const boxes = await page
    .locator(selector)
    .evaluateAll((elements) =>
      elements.map(
        (element) =>
          (element as unknown as { getBoundingClientRect(): { top: number } }).getBoundingClientRect().top,
      ),
    );
  return boxes.map((top) => Math.round(top));
}

/** Sentences of a text that appear more than once. */
function repeatedSentences(text: string): string[] {
  const sentences = text
    .split(/(?<=[.!?])\s+/)
    .map((sentence) => sentence.trim().toLowerCase())
    .filter((sentence) => sentence.length > 0);
  return sentences.filter((sentence, index) => sentences.indexOf(sentence) !== index);
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
      const { context, page, cspErrors, consoleErrors } = await newPage(browser);
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
      // The demo catalog limits no operation: no operation bar, no operation line on the plan cards.
      expect(await page.locator('[data-testid^=meter-op-]').count()).toBe(0);
      expect(await page.getByTestId('operation-limit-fact').count()).toBe(0);
      await page.getByTestId('usage-chart').waitFor();
      expect(await layoutShift(page)).toBeLessThan(0.1);
      // No usage yet: one line saying so, not an empty chart's box.
      expect(await page.getByTestId('usage-chart').getAttribute('data-empty')).toBe('true');
      expect(await page.getByTestId('usage-chart-empty').textContent()).toMatch(/^No usage yet from /);
      expect((await page.getByTestId('usage-chart').boundingBox())?.height ?? 999).toBeLessThan(60);
      // The pages' icon is served (no 404 in the console).
      const icon = await page.locator('link[rel=icon]').getAttribute('href');
      const iconAnswer = await fetch(new URL(icon ?? '/missing', stack.base));
      expect(iconAnswer.status).toBe(200);
      expect(iconAnswer.headers.get('content-type')).toContain('image/svg+xml');
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
      // The chart follows: the same credits in the same period.
      await expect
        .poll(() => page.locator('[data-testid=usage-chart] .tg-chart-max').textContent(), {
          timeout: 10_000,
        })
        .toBe('max 3.3 credits, 6 calls');
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
      expect(
        repeatedSentences(
          (await second.locator('[data-testid=expired] :is(h2, p)').allTextContents()).join(' '),
        ),
      ).toEqual([]);
      expect(await second.getByTestId('expired-reason').textContent()).not.toMatch(/expired|already used/);
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
      // The only console errors are the refused link and the revoked session (401s), not the icon.
      expect(consoleErrors.filter((line) => !/status of 401/.test(line))).toEqual([]);
      await context.close();
    }, 90_000);

    it('upgrades through the hosted Checkout, then keeps one current message through cancel, resume and an upgrade whose amount it shows first', async () => {
      const customer = await stack.createCustomer({ name: 'Checkout Co', email: 'pay@checkout.example' });
      const { context, page, cspErrors } = await newPage(browser, { width: 1280, height: 900 });
      await trackLayoutShift(page);
      await page.goto(await stack.dashboardLink(customer.key));
      const pro = page.getByTestId('plan-pro');
      await pro.getByTestId('checkout').waitFor();
      // Whose billing this is, in the header.
      expect(await page.getByTestId('account-name').textContent()).toBe('Checkout Co');
      expect(await page.getByTestId('account-email').textContent()).toBe('pay@checkout.example');
      // What the button does, not Stripe's product name.
      expect(await pro.getByTestId('checkout').textContent()).toBe('Continue to payment');
      expect(await pro.getByTestId('checkout').getAttribute('aria-label')).toBe(
        'Continue to payment for Pro',
      );
      // The free plan's card names the plan once and prices it like the others.
      const free = page.getByTestId('plan-free');
      expect(await free.getByTestId('plan-card-price').textContent()).toBe('$0.00 / month');
      expect(
        ((await free.locator(':is(h3, p, li)').allTextContents()).join(' ').match(/\bFree\b/g) ?? []).length,
      ).toBe(1);
      // Trials are offered by the plans one could start, not by the current (free) plan.
      expect(await free.getByTestId('trial-fact').count()).toBe(0);
      await expect.poll(() => pro.getByTestId('trial-fact').isVisible()).toBe(true);
      // Monthly/Yearly on one line; the bars of a row of meters on one line.
      expect(new Set(await tops(page, '[data-testid=interval-toggle] label')).size).toBe(1);
      const rowTops = await tops(page, '[data-testid^=meter-requests] [role=progressbar]');
      expect(rowTops).toHaveLength(2);
      expect(new Set(rowTops).size).toBe(1);
      expect(await layoutShift(page)).toBeLessThan(0.1);
      await shots.shot(page, 'checkout before 1280');
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
      // Subscribed: no card advertises a trial (the current one least of all).
      expect(await page.getByTestId('trial-fact').count()).toBe(0);
      expect(await shownMessages(page)).toEqual([
        'You are now on the Pro planThank you. Your new limits apply now.',
      ]);
      await shots.shot(page, 'pro after checkout with paid invoice');
      await expectAccessible(page, 'the page on a paid plan');

      // Cancel at the period end: the Checkout message goes, the cancellation's is the one shown.
      await page.getByTestId('cancel-subscription').click();
      await page.getByTestId('cancel-dialog-confirm').click();
      await page.getByTestId('cancel-pending-banner').waitFor();
      await expect
        .poll(() => shownMessages(page))
        .toEqual([expect.stringMatching(/^Your subscription is canceled; the plan stays until /)]);
      await shots.shot(page, 'one message after cancel');

      // Resume: only the resume's message.
      await page.getByTestId('resume').click();
      await page.getByTestId('cancel-subscription').waitFor();
      await expect
        .poll(() => shownMessages(page))
        .toEqual(['Your Pro plan continues; it renews automatically.']);

      // Upgrade: the dialog shows what it charges before it can be confirmed, and that is the charge.
      await page.locator('[data-testid=plan-enterprise] [data-testid=change-upgrade]').click();
      await page.getByTestId('change-amount-value').waitFor();
      expect(await page.getByTestId('change-amount').textContent()).toBe(
        'You are charged $470.00 today, the prorated difference for the rest of this period, to your saved payment method.',
      );
      await shots.shot(page, 'upgrade dialog with amount 1280');
      await expectAccessible(page, 'the upgrade dialog with its amount');
      await page.getByTestId('change-dialog-confirm').click();
      await expect
        .poll(() => page.getByTestId('plan-name').textContent(), { timeout: 15_000 })
        .toBe('Enterprise');
      await expect
        .poll(() => shownMessages(page))
        .toEqual(['You are now on the Enterprise plan, billed monthly.']);
      await expect
        .poll(
          () => page.locator('[data-testid=invoice-row] [data-testid=invoice-amount]').first().textContent(),
          {
            timeout: 15_000,
          },
        )
        .toBe('$470.00');
      await shots.shot(page, 'one message after upgrade, charged as previewed');

      // A message that no longer matches the subscription goes: the plan changes behind the page's back.
      await stack.api('/api/v1/billing/upgrade', { key: customer.key, body: { new_tier: 'pro' } });
      await expect.poll(() => page.getByTestId('plan-name').textContent(), { timeout: 15_000 }).toBe('Pro');
      expect(await shownMessages(page)).toEqual([]);
      expect(cspErrors).toEqual([]);
      await context.close();
    }, 120_000);

    it('starts a trial without a card and shows the days left; after it, offers no second one', async () => {
      const customer = await stack.createCustomer({ name: 'Trial Tea', email: 'try@trial.example' });
      // 9.1 credits on the free plan first, counted in its calendar month.
      for (let call = 0; call < 9; call += 1)
        await stack.api('/api/v1/capture', { key: customer.key, body: {} });
      await stack.api('/api/v1/search', { key: customer.key, body: {} });
      const { context, page, cspErrors } = await newPage(browser);
      await page.goto(await stack.dashboardLink(customer.key));
      expect(await page.getByTestId('meter-credits-detail').textContent()).toBe('9.1 of 100 credits');
      await page.locator('[data-testid=plan-starter] [data-testid=start-trial]').click();
      await page.getByTestId('trial-banner').waitFor();
      // The trial starts a new period: the bars and the chart both show it, with its credits (none yet).
      await expect
        .poll(() => page.getByTestId('meter-credits-detail').textContent())
        .toBe('0 of 10,000 credits');
      const [periodStart, periodEnd] = ((await page.getByTestId('usage-period').textContent()) ?? '').split(
        ' – ',
      );
      expect(periodStart).not.toBe('Jan 1, 2027');
      await expect
        .poll(() => page.getByTestId('usage-chart-empty').textContent())
        .toBe(`No usage yet from ${periodStart} to ${periodEnd}.`);
      await shots.shot(page, 'trial started: bars and chart on the trial period');
      for (let call = 0; call < 3; call += 1)
        await stack.api('/api/v1/search', { key: customer.key, body: {} });
      await expect
        .poll(() => page.getByTestId('meter-credits-detail').textContent(), { timeout: 15_000 })
        .toBe('0.3 of 10,000 credits');
      await expect
        .poll(() => page.locator('[data-testid=usage-chart] .tg-chart-max').textContent(), {
          timeout: 10_000,
        })
        .toBe('max 0.3 credits, 3 calls');
      expect(await page.locator('[data-testid=usage-chart] svg').getAttribute('aria-label')).toBe(
        `Credits used per day, ${periodStart} to ${periodEnd}`,
      );
      expect(await page.getByTestId('trial-banner').textContent()).toMatch(/Trial: 1[34] days left/);
      expect(await page.getByTestId('plan-status').textContent()).toContain(
        '14-day trial of Starter has started',
      );
      expect(await page.getByTestId('plan-name').textContent()).toBe('Starter');
      await shots.shot(page, 'trial started');
      await expectAccessible(page, 'the page in a trial');

      // An upgrade during the trial charges nothing today, says so, and keeps bars and chart together.
      await page.locator('[data-testid=plan-pro] [data-testid=change-upgrade]').click();
      await page.getByTestId('change-amount-value').waitFor();
      expect(await page.getByTestId('change-amount').textContent()).toBe(
        'Nothing is charged today. Your next invoice comes to $29.00. The new limits apply at once.',
      );
      await shots.shot(page, 'upgrade during the trial dialog');
      await page.getByTestId('change-dialog-confirm').click();
      await expect.poll(() => page.getByTestId('plan-name').textContent(), { timeout: 15_000 }).toBe('Pro');
      await expect
        .poll(() => page.getByTestId('meter-credits-detail').textContent())
        .toBe('0.3 of 100,000 credits');
      expect(await page.locator('[data-testid=usage-chart] .tg-chart-max').textContent()).toBe(
        'max 0.3 credits, 3 calls',
      );
      expect(await page.getByTestId('usage-period').textContent()).toBe(`${periodStart} – ${periodEnd}`);
      expect(await shownMessages(page)).toEqual(['You are now on the Pro plan, billed monthly.']);
      await shots.shot(page, 'upgraded in the trial: bars and chart agree');

      // Canceled, the customer is back on the free plan, and the trial was the one trial.
      await stack.api('/api/v1/billing/cancel', { key: customer.key, body: { immediate: true } });
      await page.reload();
      await page.locator('[data-testid=plan-pro] [data-testid=trial-used]').waitFor();
      expect(await page.getByTestId('start-trial').count()).toBe(0);
      // A trial already used is advertised by no plan.
      expect(await page.getByTestId('trial-fact').count()).toBe(0);
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
      // Monthly/Yearly stays on one line at 375 px; the header names the account.
      expect(new Set(await tops(page, '[data-testid=interval-toggle] label')).size).toBe(1);
      expect(await page.getByTestId('account').textContent()).toBe('Keyboard Ltd · keys@keyboard.example');
      // No usage yet: a few lines of text at this width too, not a chart's empty box.
      expect(await page.getByTestId('usage-chart').getAttribute('data-empty')).toBe('true');
      expect((await page.getByTestId('usage-chart').boundingBox())?.height ?? 999).toBeLessThan(100);
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
      await page.getByTestId('change-amount-value').waitFor();
      expect(await page.getByTestId('change-amount-value').textContent()).toBe('$20.00');
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
      await page.getByTestId('change-amount-value').waitFor();
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
      // Charged what the dialog said.
      await expect
        .poll(
          () => page.locator('[data-testid=invoice-row] [data-testid=invoice-amount]').first().textContent(),
          {
            timeout: 15_000,
          },
        )
        .toBe('$20.00');
      await shots.shot(page, 'upgraded by keyboard');

      // Cancel at period end, then resume.
      await page.getByTestId('cancel-subscription').click();
      await page.getByTestId('cancel-dialog-confirm').click();
      await page.getByTestId('cancel-pending-banner').waitFor();
      await shots.shot(page, 'cancel pending with resume');
      await page.getByTestId('resume').click();
      await page.getByTestId('cancel-subscription').waitFor();
      expect(await page.getByTestId('resume-status').textContent()).toContain('continues');
      expect(await shownMessages(page)).toHaveLength(1);
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
