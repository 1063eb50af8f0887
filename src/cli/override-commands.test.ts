/**
 * `tollgate customers overrides` as an operator runs it: a real process on a SQLite file, setting
 * overrides in catalog units, listing them with the plan's values, removing them, each change in the
 * audit trail under the operating-system user; bad input named, nothing written.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliWorkspace, openCliWorkspace } from './testing/run-cli.js';

describe('tollgate customers overrides', () => {
  let workspace: CliWorkspace;

  beforeAll(async () => {
    workspace = await openCliWorkspace();
  });

  afterAll(async () => {
    await workspace.close();
  });

  it('sets, lists and removes overrides, each audited', async () => {
    const customer = await workspace.tollgate.createCustomer({ plan: 'free' });
    const set = await workspace.run(
      'customers',
      'overrides',
      customer.id,
      '--set',
      'credits=5000.5',
      '--set',
      'storage_bytes=10GB',
      '--set',
      'operations.search.day=null',
      '--set',
      'features.federation=true',
      '--expires-at',
      '2099-01-01T00:00:00Z',
      '--reason',
      'pilot',
    );
    expect(set.stderr).toBe('');
    expect(set.code).toBe(0);
    expect(set.stdout).toMatch(/credits\s+5000\.5\s+100\s+2099-01-01T00:00:00\.000Z\s+yes\s+pilot/);
    expect(set.stdout).toMatch(/storage_bytes\s+10000000000\s+100000000/);
    expect(set.stdout).toMatch(/features\.federation\s+true\s+false/);
    const stored = await workspace.store.listCustomerOverrides(customer.id);
    expect(stored.find((row) => row.key === 'credits')).toMatchObject({
      value: 5_000_500,
      expiresAt: Date.UTC(2099, 0, 1),
      createdBy: expect.stringMatching(/^cli:/),
    });

    const listed = await workspace.run('customers', 'overrides', customer.id, '--json');
    const body = JSON.parse(listed.stdout);
    expect(body).toMatchObject({ customer_id: customer.id, plan: 'free' });
    expect(body.overrides).toContainEqual(
      expect.objectContaining({
        key: 'operations.search.day',
        value: null,
        plan_value: null,
        in_force: true,
      }),
    );

    const removed = await workspace.run('customers', 'overrides', customer.id, '--remove', 'credits');
    expect(removed.code).toBe(0);
    expect(removed.stdout).not.toMatch(/^credits/m);
    const cleared = await workspace.run(
      'customers',
      'overrides',
      customer.id,
      '--remove-all',
      '--reason',
      'ended',
    );
    expect(cleared.stdout).toContain('has no overrides');
    const { entries } = await workspace.store.listAudit({ customerId: customer.id, limit: 10 });
    expect(entries.map((entry) => entry.action)).toEqual([
      'contract.overrides_removed',
      'contract.overrides_removed',
      'contract.overrides_set',
    ]);
    expect(entries[0]).toMatchObject({ actor: expect.stringMatching(/^cli:/), details: { reason: 'ended' } });
  });

  it('names bad input in one line, exit 2, writing nothing', async () => {
    const customer = await workspace.tollgate.createCustomer({ plan: 'free' });
    const bad = await workspace.run(
      'customers',
      'overrides',
      customer.id,
      '--set',
      'operations.video.day=5',
      '--set',
      'credits=-1',
      '--expires-at',
      '2001-01-01T00:00:00Z',
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(
      /^tollgate: .*expires_at.*operations\.video\.day: unknown operation 'video'.*credits/,
    );
    expect(await workspace.store.listCustomerOverrides(customer.id)).toEqual([]);
    const missing = await workspace.run('customers', 'overrides', customer.id, '--remove', 'credits');
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain("no override of 'credits'");
  });
});
