/**
 * `tollgate keys` for team keys as an operator runs them (a real process on a SQLite file): a key
 * issued with an owner and limits, changed with `keys update` (audited), bad limits refused with
 * nothing written, and `keys usage` adding up by key.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliWorkspace, openCliWorkspace } from './testing/run-cli.js';

describe('tollgate keys for teams', () => {
  let workspace: CliWorkspace;

  beforeAll(async () => {
    workspace = await openCliWorkspace();
  });

  afterAll(async () => {
    await workspace.close();
  });

  it('issues a key with an owner and limits, and changes them with keys update', async () => {
    const customer = await workspace.tollgate.createCustomer({ plan: 'starter' });
    const created = await workspace.run(
      'keys',
      'create',
      customer.id,
      '--name',
      'intern',
      '--owner',
      'ana@example.com',
      '--credits',
      '30',
      '--requests-per-minute',
      '10',
      '--json',
    );
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const issued = JSON.parse(created.stdout);
    expect(issued).toMatchObject({
      name: 'intern',
      owner: 'ana@example.com',
      limits: { credits: 30, requests_per_minute: 10, requests_per_day: null },
    });

    const updated = await workspace.run(
      'keys',
      'update',
      issued.id,
      '--owner',
      'bo@example.com',
      '--requests-per-minute',
      'none',
      '--requests-per-day',
      '500',
    );
    expect(updated.stderr).toBe('');
    expect(updated.code).toBe(0);
    expect(updated.stdout).toMatch(/owner:\s+bo@example\.com/);
    expect(updated.stdout).toMatch(/requests\/day:\s+500/);
    const stored = await workspace.tollgate.store.getApiKey(issued.id);
    expect(stored).toMatchObject({
      owner: 'bo@example.com',
      limits: { credits: 30_000, requestsPerMinute: null, requestsPerDay: 500 },
    });
    const audit = await workspace.tollgate.store.listAudit({ customerId: customer.id, limit: 5 });
    expect(audit.entries[0]).toMatchObject({
      actor: 'cli',
      action: 'api_key.updated',
      details: { keyId: issued.id, before: { owner: 'ana@example.com' }, after: { owner: 'bo@example.com' } },
    });
  });

  it('refuses bad limits with a one-line error and changes nothing', async () => {
    const customer = await workspace.tollgate.createCustomer({ plan: 'starter' });
    const key = await workspace.tollgate.issueApiKey(customer.id, 'ci');
    const results = await Promise.all([
      workspace.run('keys', 'create', customer.id, '--credits', '-3'),
      workspace.run('keys', 'create', customer.id, '--credits', '1.5'),
      workspace.run('keys', 'update', key.record.id, '--requests-per-day', 'lots'),
      workspace.run('keys', 'update', key.record.id),
      workspace.run('keys', 'update', 'key_nothing', '--owner', 'x'),
    ]);
    for (const result of results) expect(result.code).not.toBe(0);
    expect(results[0]?.stderr).toMatch(/expected a whole number or 'none', got '-3'/);
    expect(results[4]?.stderr.trim()).toBe("tollgate: No key 'key_nothing'.");
    expect(await workspace.tollgate.store.listApiKeys(customer.id)).toEqual([
      await workspace.tollgate.store.getApiKey(key.record.id),
    ]);
    expect((await workspace.tollgate.store.getApiKey(key.record.id))?.limits).toBeNull();
  });

  it('shows usage by key adding up to the total', async () => {
    const customer = await workspace.tollgate.createCustomer({ plan: 'starter' });
    const first = await workspace.tollgate.issueApiKey(customer.id, 'first', { owner: 'ana@example.com' });
    const second = await workspace.tollgate.issueApiKey(customer.id, 'second');
    const operation = Object.keys(workspace.tollgate.catalog.operations)[0] as string;
    await workspace.tollgate.consume(customer.id, { operation, keyId: first.record.id });
    await workspace.tollgate.consume(customer.id, { operation, keyId: second.record.id, quantity: 2 });
    await workspace.tollgate.consume(customer.id, { operation });
    await workspace.tollgate.flush();
    const shown = await workspace.run('keys', 'usage', customer.id, '--json');
    expect(shown.code).toBe(0);
    const view = JSON.parse(shown.stdout);
    const byKey = Object.fromEntries(
      view.keys.map((key: { name: string; events: number }) => [key.name, key.events]),
    );
    expect(byKey).toEqual({ first: 1, second: 1 });
    expect(view.unattributed.events).toBe(1);
    expect(view.events).toBe(3);
    const text = await workspace.run('keys', 'usage', customer.id);
    expect(text.stdout).toMatch(/ana@example\.com/);
    expect(text.stdout).toMatch(/Total: .* credits, 3 events this period\./);
  });
});
