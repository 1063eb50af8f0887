/**
 * Operation limits on the pages, in a real browser against `npm start`'s stack run with the video
 * example catalog (API calls a month, videos and matches a day): the billing page shows a bar per
 * limited window with its reset time beside the credit and request bars, its plan cards list each
 * plan's operation limits, and the admin customer page shows the same bars; at 1280 and 375 px, with
 * axe. Billing time starts 2027-01-31 10:00 UTC, so "today" and the free plan's calendar-month period both reset on Feb 1, 2027 at midnight UTC.
 * Screenshots in test-results/operation-limits-pages.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  axeSource,
  expectAccessible,
  hasChromium,
  horizontalOverflow,
  launchBrowser,
  Screenshots,
} from './support/browser.js';
import { type Stack, startStack } from './support/stack.js';

const catalog = new URL('../../examples/catalogs/video-platform.yaml', import.meta.url).pathname;
const skipReason = hasChromium ? '' : ' (skipped: /usr/bin/chromium is not installed)';

function bar(page: Page, id: string) {
  return page.locator(`[data-testid=meter-${id}] [role=progressbar]`);
}

function detail(page: Page, id: string) {
  return page.getByTestId(`meter-${id}-detail`).textContent();
}

function label(page: Page, id: string) {
  return page.locator(`[data-testid=meter-${id}] #${id}-label`).textContent();
}

function planFacts(page: Page, plan: string) {
  return page.locator(`[data-testid=plan-${plan}] [data-testid=operation-limit-fact]`).allTextContents();
}

describe.skipIf(!hasChromium)(`operation limits on the pages${skipReason}`, () => {
  let stack: Stack;
  let browser: Browser;
  const shots = new Screenshots('operation-limits-pages');

  beforeAll(async () => {
    [stack, browser] = await Promise.all([
      startStack('operation-limits-pages', { TOLLGATE_CONFIG: catalog }),
      launchBrowser(),
    ]);
    for (const operation of ['api_call', 'api_call', 'video', 'match', 'match', 'match'])
      await stack.api('/api/v1/usage/record', { key: stack.customerKey, body: { operation } });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('billing page: a bar per limited window with its reset time, and the plan cards list operation limits', async () => {
    for (const viewport of [
      { width: 1280, height: 900 },
      { width: 375, height: 740 },
    ]) {
      const context = await browser.newContext({ viewport, locale: 'en-US', timezoneId: 'UTC' });
      await context.addInitScript({ content: axeSource });
      const page = await context.newPage();
      await page.goto(await stack.dashboardLink(stack.customerKey));
      await bar(page, 'op-video-day').waitFor();

      expect(await label(page, 'op-api_call-month')).toBe('API calls this period');
      expect(await detail(page, 'op-api_call-month')).toBe('2 of 100, resets Feb 1, 2027, 12:00 AM');
      expect(await bar(page, 'op-api_call-month').getAttribute('aria-valuenow')).toBe('2');
      expect(await label(page, 'op-video-day')).toBe('Videos today');
      expect(await detail(page, 'op-video-day')).toMatch(/^1 of 1, resets Feb 1, 2027, 12:00 AM$/);
      expect(await bar(page, 'op-video-day').getAttribute('aria-valuenow')).toBe('100');
      expect(await page.getByTestId('meter-op-video-day').getAttribute('data-level')).toBe('full');
      expect(await label(page, 'op-match-day')).toBe('Matches today');
      expect(await bar(page, 'op-match-day').getAttribute('aria-valuenow')).toBe('60');
      // Beside the plan's own bars; no bar for an unlimited window (the matches' month on Free).
      // (this catalog limits neither credits nor requests: those say "No limit on this plan").
      expect(await page.getByTestId('meter-credits').count()).toBe(1);
      expect(await page.getByTestId('meter-requests-day').count()).toBe(1);
      expect(await page.getByTestId('meter-op-match-month').count()).toBe(0);

      expect(await planFacts(page, 'free')).toEqual([
        '100 API calls a month',
        '1 video a day',
        '5 matches a day',
      ]);
      expect(await planFacts(page, 'pro')).toEqual([
        '10,000 API calls a month',
        '20 videos a day',
        '200 matches a day',
        '3,000 matches a month',
      ]);
      expect(await horizontalOverflow(page)).toBe(false);
      await expectAccessible(page, `the billing page with operation limits at ${viewport.width} px`);
      await shots.shot(page, `billing page operation bars ${viewport.width}`);
      await context.close();
    }
  });

  it('admin customer page: the same bars', async () => {
    const context = await browser.newContext({
      viewport: { width: 1280, height: 900 },
      locale: 'en-US',
      timezoneId: 'UTC',
    });
    const page = await context.newPage();
    await page.goto(`${stack.base}/admin`);
    await page.getByLabel('Admin key').fill(stack.adminKey);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Customers' }).waitFor();
    await page.goto(`${stack.base}/admin/customers/${stack.customerId}`);
    await bar(page, 'customer-op-video-day').waitFor();
    expect(await label(page, 'customer-op-video-day')).toBe('Videos today');
    expect(await detail(page, 'customer-op-video-day')).toBe('1 of 1, resets Feb 1, 2027, 12:00 AM');
    expect(await detail(page, 'customer-op-match-day')).toMatch(/^3 of 5, /);
    expect(await detail(page, 'customer-op-api_call-month')).toMatch(/^2 of 100, /);
    await expectAccessible(page, 'the admin customer page with operation limits');
    await shots.shot(page, 'admin customer operation bars 1280');
    await page.setViewportSize({ width: 375, height: 740 });
    expect(await horizontalOverflow(page)).toBe(false);
    await expectAccessible(page, 'the admin customer page with operation limits at 375 px');
    await shots.shot(page, 'admin customer operation bars 375');
    await context.close();
  });
});
