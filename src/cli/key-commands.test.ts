/**
 * `tollgate keys create|revoke` as an operator runs them: a real process on a SQLite file; the test
 * checks on the same database that issued keys authenticate and revoked ones no longer do.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliWorkspace, openCliWorkspace } from './testing/run-cli.js';

describe('tollgate keys', () => {
  let workspace: CliWorkspace;

  beforeAll(async () => {
    workspace = await openCliWorkspace();
  });

  afterAll(async () => {
    await workspace.close();
  });

  it('issues a customer key, then revokes it', async () => {
    const customer = await workspace.tollgate.createCustomer({ plan: 'starter' });
    const created = await workspace.run('keys', 'create', customer.id, '--name', 'ci', '--json');
    expect(created.code).toBe(0);
    const issued = JSON.parse(created.stdout);
    expect(issued).toMatchObject({ customer_id: customer.id, name: 'ci', revoked_at: null });
    expect(await workspace.tollgate.authenticate(issued.key)).toMatchObject({
      kind: 'customer',
      customerId: customer.id,
      keyId: issued.id,
    });

    const revoked = await workspace.run('keys', 'revoke', issued.id);
    expect(revoked).toMatchObject({ code: 0, stdout: `Revoked ${issued.id}.\n` });
    expect(await workspace.tollgate.authenticate(issued.key)).toBeUndefined();
  });

  it('issues an admin key with --admin, shown once in the text output', async () => {
    const created = await workspace.run('keys', 'create', '--admin', '--name', 'ops');
    expect(created.code).toBe(0);
    const key = /API key:\s+(tg_admin_\w+)/.exec(created.stdout)?.[1] ?? '';
    expect(created.stdout).toMatch(/customer:\s+\(admin key\)/);
    expect(await workspace.tollgate.authenticate(key)).toMatchObject({ kind: 'admin' });
  });

  it('refuses what cannot be done with one line and exit 2', async () => {
    const results = await Promise.all([
      workspace.run('keys', 'create'),
      workspace.run('keys', 'create', 'cus_someone', '--admin'),
      workspace.run('keys', 'create', 'cus_nobody'),
      workspace.run('keys', 'revoke', 'key_nothing'),
    ]);
    expect(results.map((result) => result.code)).toEqual([2, 2, 2, 2]);
    expect(results.map((result) => result.stderr.trim())).toEqual([
      'tollgate: Give a customer id, or --admin for an admin key (not both).',
      'tollgate: Give a customer id, or --admin for an admin key (not both).',
      "tollgate: No customer 'cus_nobody'.",
      "tollgate: No key 'key_nothing'.",
    ]);
  });
});
