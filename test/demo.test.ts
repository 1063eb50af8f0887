/**
 * `npm start` as a newcomer meets it: the demo starts within 60 seconds, prints working URLs and keys,
 * and every curl line it prints does what its comment says, through to an upgrade via Checkout and a
 * renewal after the test clock moves.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliArgs } from '../src/cli/testing/cli-command.js';

function curl(line: string): string {
  return execFileSync('bash', ['-c', line.replace(/\s+#.*$/, '')], { encoding: 'utf8', timeout: 30_000 });
}

describe('npm start demo', () => {
  let child: ChildProcess;
  let output = '';
  let dir: string;
  let startedInMs = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tollgate-demo-'));
    const started = Date.now();
    child = spawn(process.execPath, cliArgs('start'), {
      env: {
        ...process.env,
        PORT: '0',
        DATABASE_URL: `sqlite:${join(dir, 'demo.db')}`,
        NODE_ENV: 'development',
      },
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no demo banner within 60 s:\n${output}`)), 60_000);
      child.stdout?.on('data', (chunk) => {
        output += chunk;
        if (/webhooks -> /.test(output) || /\n\n$/.test(output)) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => reject(new Error(`demo exited (${code}): ${output}`)));
    });
    startedInMs = Date.now() - started;
  }, 70_000);

  afterAll(() => {
    child?.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  const printed = (pattern: RegExp): string => {
    const line = output.split('\n').find((candidate) => pattern.test(candidate));
    if (!line) throw new Error(`the demo printed no line matching ${pattern}:\n${output}`);
    return line.trim();
  };

  it('starts within 60 seconds and prints the URL and both keys', () => {
    expect(startedInMs).toBeLessThan(60_000);
    expect(output).toMatch(/Tollgate demo running at http:\/\/localhost:\d+/);
    expect(output).toMatch(/admin key:\s+tg_admin_\w+/);
    expect(output).toMatch(/demo customer key:\s+tg_live_\w+/);
  });

  it('runs every printed curl line with the result its comment promises', () => {
    const search = curl(printed(/curl -i -X POST .*\/api\/v1\/search/));
    expect(search).toMatch(/^HTTP\/1\.1 200/);
    expect(search).toMatch(/x-tier: free/i);
    expect(search).toMatch(/x-credits-used: 0\.1/i);

    const usage = JSON.parse(curl(printed(/curl -s .*\/api\/v1\/usage /)));
    expect(usage).toMatchObject({ subscription_tier: 'free', credits_used: '0.1' });

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

    const advanced = JSON.parse(curl(printed(/\/api\/v1\/admin\/clock\/advance/)));
    expect(advanced.pending).toEqual([]);
    const invoices = JSON.parse(curl(printed(/\/api\/v1\/billing\/invoices/))).invoices as Array<{
      status: string;
      billing_reason: string;
    }>;
    expect(
      invoices.filter((invoice) => invoice.status === 'paid').map((invoice) => invoice.billing_reason),
    ).toEqual(expect.arrayContaining(['subscription_create', 'subscription_cycle']));
  });
});
