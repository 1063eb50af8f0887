/**
 * `npm start` as a newcomer meets it: the demo starts within 60 seconds, prints working URLs and keys,
 * and every curl line it prints does what its comment says, through to an upgrade via Checkout and a
 * renewal after the test clock moves.
 */
import { mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clearOfMinuteEnd, cliCommand, curl, demoProcess } from './support/demo-process.js';

describe('npm start demo', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-demo-'));
  const demo = demoProcess({
    DATABASE_URL: `sqlite:${join(dir, 'demo.db')}`,
    // Billing time starts on a fixed day, never today's: from December 2 a month of 31 days lands
    // exactly on the renewal instant, where the renewal invoice is still a draft for an hour.
    TOLLGATE_DEMO_CLOCK_START: '2026-12-02T07:30:00Z',
  });
  const { printed, start, stop } = demo;

  beforeAll(() => start(), 70_000);

  afterAll(async () => {
    await stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts within 60 seconds and prints the URL and both keys', () => {
    expect(demo.startedInMs()).toBeLessThan(60_000);
    expect(demo.output()).toMatch(/Tollgate demo running at http:\/\/localhost:\d+/);
    expect(demo.output()).toMatch(/admin key:\s+tg_admin_\w+/);
    expect(demo.output()).toMatch(/demo customer key:\s+tg_live_\w+/);
  });

  it('runs every printed curl line with the result its comment promises', async () => {
    // The search below counts in the same minute as the 12 requests after it.
    await clearOfMinuteEnd();
    const search = curl(printed(/curl -i -X POST .*\/api\/v1\/search/));
    expect(search).toMatch(/^HTTP\/1\.1 200/);
    expect(search).toMatch(/x-tier: free/i);
    expect(search).toMatch(/x-credits-used: 0\.1/i);

    const usage = JSON.parse(curl(printed(/curl -s .*\/api\/v1\/usage /)));
    expect(usage).toMatchObject({ subscription_tier: 'free', credits_used: 0.1 });

    expect(curl(printed(/\/api\/v1\/federation/))).toMatch(/^HTTP\/1\.1 403/);

    // The search above used one of the 10 requests of this minute: 9 more pass, then 429s.
    const codes = curl(printed(/for i in \$\(seq 12\)/))
      .trim()
      .split(/\s+/);
    expect(codes).toEqual([...Array(9).fill('200'), '429', '429', '429']);
  });

  it('prints a one-time billing page link that opens once, and the admin console URL', async () => {
    const link = printed(/\/billing\?token=tgl_/).split(/\s+/)[0]!;
    const page = await fetch(link);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="root">');
    const token = new URL(link).searchParams.get('token');
    const exchange = () =>
      fetch(new URL('/api/v1/billing/dashboard-session', link), {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ token }),
      });
    expect((await exchange()).status).toBe(201);
    expect((await exchange()).status).toBe(401);
    const fresh = JSON.parse(curl(printed(/\/api\/v1\/billing\/dashboard-link/)));
    expect(fresh.url).toMatch(/\/billing\?token=tgl_/);
    const admin = printed(/\/admin\s+# the admin console/).split(/\s+/)[0]!;
    expect((await fetch(admin)).status).toBe(200);
  });

  it('upgrades through the printed Checkout line, then renews when the clock advances', async () => {
    const checkout = JSON.parse(curl(printed(/\/api\/v1\/billing\/checkout/)));
    expect(checkout.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
    // Paying is what the hosted page does when a person clicks; the script calls the same endpoint.
    const origin = new URL(checkout.url).origin;
    const paid = await fetch(`${origin}/v1/payment_pages/${checkout.session_id}/confirm`, {
      method: 'POST',
      headers: { Authorization: 'Bearer sk_test_demo', 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'payment_method=pm_card_visa',
    });
    expect(paid.status).toBe(200);

    const subscriptionLine = printed(/curl -s .*\/api\/v1\/billing\/subscription /);
    let subscription: { subscription_tier?: string } = {};
    for (let attempt = 0; attempt < 50 && subscription.subscription_tier !== 'pro'; attempt++) {
      subscription = JSON.parse(curl(subscriptionLine));
      if (subscription.subscription_tier !== 'pro') await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(subscription).toMatchObject({ subscription_tier: 'pro', status: 'active' });

    const changed = JSON.parse(curl(printed(/\/api\/v1\/billing\/upgrade/)));
    expect(changed).toMatchObject({ action: 'change_price', subscription: { subscription_tier: 'starter' } });

    const advanced = JSON.parse(curl(printed(/\/api\/v1\/admin\/clock\/advance/)));
    expect(advanced.pending).toEqual([]);
    // The next renewal (January 2) plus the hours Stripe takes to charge its invoice.
    expect(advanced.frozen_time).toBe('2027-01-02T09:30:00.000Z');
    const invoices = JSON.parse(curl(printed(/\/api\/v1\/billing\/invoices/))).invoices as Array<{
      status: string;
      billing_reason: string;
    }>;
    expect(
      invoices.filter((invoice) => invoice.status === 'paid').map((invoice) => invoice.billing_reason),
    ).toEqual(expect.arrayContaining(['subscription_create', 'subscription_cycle']));
  });

  it("prints the CLI lines that move the running demo's clock and show usage in billing time", () => {
    const cliLine = (pattern: RegExp) => printed(pattern).replace('npx tollgate', cliCommand);
    expect(curl(cliLine(/npx tollgate clock advance 3d/))).toMatch(
      /^clock_\w+ is at 2027-01-05T09:30:00\.000Z; \d+ events applied\.$/m,
    );
    // The period is the subscription's (renewed on January 2), not the wall clock's month.
    expect(curl(cliLine(/npx tollgate usage /))).toMatch(/2027-01-02/);
  }, 60_000);

  it('resumes after a restart: the same keys, Stripe still knows the customer, the clock goes on', async () => {
    const keys = (text: string) => [...text.matchAll(/(tg_(?:admin|live)_\w+)/g)].map((match) => match[1]);
    const before = { keys: keys(demo.output()).slice(0, 2) };
    const subscriptionLine = printed(/curl -s .*\/api\/v1\/billing\/subscription /);
    const subscription = JSON.parse(curl(subscriptionLine));
    await stop();
    await start();
    expect(demo.output()).toMatch(/continues on test clock clock_\w+ at 2027-01-05T09:30:00/);
    expect(keys(demo.output()).slice(0, 2)).toEqual(before.keys);
    expect(JSON.parse(curl(printed(/curl -s .*\/api\/v1\/billing\/subscription /)))).toEqual(subscription);
    // Stripe (the kept emulator) still knows the customer: the Portal and payment methods answer.
    const methods = JSON.parse(
      curl(`${printed(/curl -s .*\/api\/v1\/billing\/invoices /).replace('/invoices', '/payment-methods')}`),
    );
    expect(methods.payment_methods?.[0] ?? methods.data?.[0]).toMatchObject({ last4: '4242' });
    const canceled = JSON.parse(
      curl(
        printed(/\/api\/v1\/billing\/upgrade/)
          .replace('/upgrade', '/cancel')
          .replace(/-d '.*'/, `-d '{}'`),
      ),
    );
    expect(canceled).toMatchObject({ action: 'cancel_at_period_end' });
  }, 90_000);

  it('says so when Stripe lost its data, logs it, and reconcile repairs the customer', async () => {
    await stop();
    unlinkSync(join(dir, 'demo.db.stripe.json'));
    await start();
    const refused = JSON.parse(curl(printed(/\/api\/v1\/billing\/checkout/)));
    expect(refused).toMatchObject({ error: 'conflict' });
    expect(refused.message).toContain('tollgate reconcile');
    // The service logs the refusal (a warning, the demo's console level) with Stripe's error.
    await expect
      .poll(() => demo.output(), { timeout: 5_000 })
      .toMatch(/request refused: Stripe no longer knows/);

    const cliLine = printed(/npx tollgate clock advance 3d/).replace(/npx tollgate clock advance 3d.*$/, '');
    expect(curl(`${cliLine} ${cliCommand} reconcile`)).toMatch(/stripeCustomerId: "cus_\w+" -> null/);
    const checkout = JSON.parse(curl(printed(/\/api\/v1\/billing\/checkout/)));
    expect(checkout).toMatchObject({ url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\//) });
  }, 90_000);
});
