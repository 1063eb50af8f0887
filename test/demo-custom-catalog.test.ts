/**
 * `npm start` with a catalog of one's own (TOLLGATE_CONFIG): the demo serves a route per operation and
 * per feature of that catalog, and the lines it prints use them, its default plan's rate limit and its
 * paid plans, each doing what its comment says when run in order.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clearOfMinuteEnd, curl, demoProcess } from './support/demo-process.js';

const catalog = `
currency: usd
default_plan: hobby
features:
  exports: Exports
  webhooks: Webhooks           # a segment of Tollgate's own API: served by Tollgate, not the demo
operations:
  transcribe: 2
  usage: 1                     # the same
plans:
  hobby:
    name: Hobby
    limits: { credits: 50, requests: { minute: 4 } }
  team:
    name: Team
    prices: { month: 4900 }
    trial_days: 7
    limits: { credits: 5000 }
    features: [exports, webhooks]
  studio:
    name: Studio
    prices: { month: 9900 }
    limits: { credits: 50000 }
    features: [exports, webhooks]
`;

describe('npm start demo with a custom catalog', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-demo-catalog-'));
  writeFileSync(join(dir, 'catalog.yaml'), catalog);
  const demo = demoProcess({
    DATABASE_URL: `sqlite:${join(dir, 'demo.db')}`,
    TOLLGATE_CONFIG: join(dir, 'catalog.yaml'),
    TOLLGATE_DEMO_CLOCK_START: '2028-02-28T12:00:00Z',
  });

  beforeAll(() => demo.start(), 70_000);
  afterAll(async () => {
    await demo.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints lines for its own operations, feature, rate limit and plans, and each does what it says', async () => {
    // The first transcribe counts in the same minute as the 6 requests after it.
    await clearOfMinuteEnd();
    expect(demo.output()).not.toMatch(/\/api\/v1\/(search|capture|federation)\b/);
    const first = curl(demo.printed(/curl -i -X POST .*\/api\/v1\/transcribe/));
    expect(first).toMatch(/^HTTP\/1\.1 200/);
    expect(first).toMatch(/x-tier: hobby/i);
    expect(first).toMatch(/x-credits-used: 2/i);

    expect(curl(demo.printed(/curl -i .*\/api\/v1\/exports .*# 403: not on the hobby plan/))).toMatch(
      /^HTTP\/1\.1 403/,
    );
    const codes = curl(
      demo.printed(/for i in \$\(seq 6\).*\/api\/v1\/transcribe.*# 4 requests a minute on hobby/),
    )
      .trim()
      .split(/\s+/);
    expect(codes).toEqual(['200', '200', '200', '429', '429', '429']);

    const checkout = JSON.parse(curl(demo.printed(/\/api\/v1\/billing\/checkout .*"tier":"studio"/)));
    expect(checkout.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
    expect(demo.printed(/\/api\/v1\/billing\/upgrade .*"new_tier":"team"/)).toContain('# change plan');
    expect(demo.printed(/start the 7-day trial with no card: .*"tier":"team"/)).toBeTruthy();
  });

  it('leaves a reserved id to Tollgate: /api/v1/usage is still the usage answer', async () => {
    const usage = JSON.parse(curl(demo.printed(/curl -s .*\/api\/v1\/usage /)));
    expect(usage).toMatchObject({ subscription_tier: 'hobby' });
  });
});
