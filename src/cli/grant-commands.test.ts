/**
 * `tollgate customers grants` as an operator runs it: a real process on a SQLite file makes, lists and
 * revokes grants, idempotently, with the audit trail the admin API writes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliWorkspace, openCliWorkspace } from './testing/run-cli.js';

describe('tollgate customers grants', () => {
  let workspace: CliWorkspace;

  beforeAll(async () => {
    workspace = await openCliWorkspace();
  });

  afterAll(async () => {
    await workspace.close();
  });

  it('makes a grant once per key, lists it with what is used, and revokes what is unspent', async () => {
    const { id } = await workspace.tollgate.createCustomer({});
    const make = () =>
      workspace.run(
        'customers',
        'grants',
        id,
        '--credits',
        '12.5',
        '--key',
        'deal-1',
        '--reason',
        'pilot',
        '--json',
      );
    const made = await make();
    expect(made.stderr).toBe('');
    expect(made.code).toBe(0);
    const grant = JSON.parse(made.stdout).grant;
    expect(grant).toMatchObject({
      kind: 'credits',
      amount: 12.5,
      remaining: 12.5,
      expires: 'until_used',
      created_by: 'cli',
    });
    expect(JSON.parse((await make()).stdout).grant.id).toBe(grant.id);

    await workspace.tollgate.consume(id, { operation: 'capture', quantity: 2 });
    await workspace.tollgate.flush();
    const table = await workspace.run('customers', 'grants', id);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(new RegExp(`${grant.id}\\s+credits\\s+12.5\\s+2\\s+10.5\\s+active`));

    const revoked = await workspace.run('customers', 'grants', id, '--revoke', grant.id, '--json');
    expect(revoked.code).toBe(0);
    expect(JSON.parse(revoked.stdout).grant).toMatchObject({ used: 2, remaining: 0, status: 'revoked' });
    const { entries } = await workspace.store.listAudit({ customerId: id, limit: 10 });
    expect(entries.map((entry) => [entry.action, entry.actor])).toEqual([
      ['grant.revoked', 'cli'],
      ['grant.created', 'cli'],
    ]);
  });

  it('refuses a grant without a key or with two amounts, with one line and exit 2', async () => {
    const { id } = await workspace.tollgate.createCustomer({});
    const noKey = await workspace.run('customers', 'grants', id, '--credits', '5');
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toMatch(/^tollgate: .*idempotency_key/);
    const both = await workspace.run(
      'customers',
      'grants',
      id,
      '--credits',
      '5',
      '--operation',
      'capture',
      '--quantity',
      '1',
      '--key',
      'k',
    );
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/not both/);
    expect((await workspace.run('customers', 'grants', id)).stdout).toBe('No grants.\n');
  });
});
