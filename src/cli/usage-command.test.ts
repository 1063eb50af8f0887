/**
 * `tollgate usage <customer-id>` as an operator runs it: a real process on a SQLite file where the test
 * recorded usage through the engine; the figures match what the engine committed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliWorkspace, openCliWorkspace } from './testing/run-cli.js';

describe('tollgate usage', () => {
  let workspace: CliWorkspace;
  let customerId: string;

  beforeAll(async () => {
    workspace = await openCliWorkspace();
    const customer = await workspace.tollgate.createCustomer({ plan: 'free' });
    customerId = customer.id;
    // 3 captures (1 credit each) and 5 searches (0.1 each): 3.5 of the free plan's 100 credits.
    for (const operation of [
      'capture',
      'capture',
      'capture',
      'search',
      'search',
      'search',
      'search',
      'search',
    ]) {
      const decision = await workspace.tollgate.consume(customerId, { operation, countRequest: false });
      expect(decision.allowed).toBe(true);
    }
    await workspace.tollgate.flush();
  });

  afterAll(async () => {
    await workspace.close();
  });

  it('shows plan, status, credits, period and windows as a table', async () => {
    const result = await workspace.run('usage', customerId);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`customer:\\s+${customerId}`));
    expect(result.stdout).toMatch(/plan:\s+free \(Free\)/);
    expect(result.stdout).toMatch(/status:\s+active/);
    expect(result.stdout).toMatch(/credits used:\s+3\.5\n/);
    expect(result.stdout).toMatch(/credits limit:\s+100\n/);
    expect(result.stdout).toMatch(/credits left:\s+96\.5 \(3\.5% used\)/);
    expect(result.stdout).toMatch(/period:\s+\d{4}-\d\d-01T00:00:00\.000Z to \d{4}-\d\d-01T00:00:00\.000Z/);
    expect(result.stdout).toMatch(/requests\/minute\s+n\/a\s+10\n/);
    expect(result.stdout).toMatch(/requests\/day\s+n\/a\s+100\n/);
    expect(result.stdout).toContain('set REDIS_URL');
  });

  it('prints the API figures with --json, and refuses an unknown customer', async () => {
    const [json, unknown] = await Promise.all([
      workspace.run('usage', customerId, '--json'),
      workspace.run('usage', 'cus_nobody'),
    ]);
    expect(JSON.parse(json.stdout)).toMatchObject({
      customer_id: customerId,
      subscription_tier: 'free',
      credits_used: 3.5,
      monthly_limit: 100,
      quota_remaining: 96.5,
      usage_percentage: 3.5,
      quota_exceeded: false,
      requests_this_minute: null,
      requests_per_minute_limit: 10,
    });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.trim()).toBe("tollgate: No customer 'cus_nobody'.");
  });
});
