/**
 * `tollgate customers create|list` as an operator runs them: a real process on a SQLite file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliWorkspace, openCliWorkspace } from './testing/run-cli.js';

describe('tollgate customers', () => {
  let workspace: CliWorkspace;

  beforeAll(async () => {
    workspace = await openCliWorkspace();
  });

  afterAll(async () => {
    await workspace.close();
  });

  it('creates a customer and prints its first key once, a key that works', async () => {
    const result = await workspace.run(
      'customers',
      'create',
      '--external-id',
      'user-42',
      '--email',
      'ann@example.com',
      '--name',
      'Ann',
      '--plan',
      'pro',
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const id = /customer:\s+(tgcus_\w+)/.exec(result.stdout)?.[1];
    const key = /API key:\s+(tg_live_\w+)/.exec(result.stdout)?.[1];
    expect(result.stdout).toMatch(/plan:\s+pro/);
    expect(result.stdout).toContain('shown only now');
    expect(await workspace.tollgate.authenticate(key ?? '')).toMatchObject({
      kind: 'customer',
      customerId: id,
    });
    expect(await workspace.store.getCustomerByExternalId('user-42')).toMatchObject({
      id,
      email: 'ann@example.com',
    });
  });

  it('prints JSON in the admin API shape with --json', async () => {
    const result = await workspace.run('customers', 'create', '--email', 'json@example.com', '--json');
    expect(result.code).toBe(0);
    const body = JSON.parse(result.stdout);
    expect(body.customer).toMatchObject({ email: 'json@example.com', plan: 'free', status: 'active' });
    expect(body.api_key.key).toMatch(/^tg_live_/);
    expect(body.api_key.customer_id).toBe(body.customer.id);
  });

  it('refuses a taken external id or an unknown plan with one line, exit 2, no stack', async () => {
    const taken = await workspace.run('customers', 'create', '--external-id', 'user-42');
    expect(taken.code).toBe(2);
    expect(taken.stderr).toMatch(/^tollgate: .*externalId.*taken/);
    const plan = await workspace.run('customers', 'create', '--plan', 'platinum');
    expect(plan.code).toBe(2);
    expect(plan.stderr.trim()).toBe("tollgate: plan: unknown plan 'platinum'");
    for (const result of [taken, plan]) expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('lists customers as a table, filtered by plan, status and search, limited', async () => {
    await workspace.tollgate.createCustomer({ plan: 'starter', email: 'bob@example.com', name: 'Bob' });
    const all = await workspace.run('customers', 'list');
    expect(all.code).toBe(0);
    const [header, ...rows] = all.stdout.trim().split('\n');
    expect(header).toMatch(/^ID\s+PLAN\s+STATUS\s+EXTERNAL ID\s+EMAIL\s+NAME\s+CREATED$/);
    expect(rows).toHaveLength(3);

    const pro = await workspace.run('customers', 'list', '--plan', 'pro');
    expect(pro.stdout).toContain('ann@example.com');
    expect(pro.stdout).not.toContain('bob@example.com');
    const search = await workspace.run(
      'customers',
      'list',
      '--search',
      'BOB',
      '--status',
      'active',
      '--json',
    );
    expect(JSON.parse(search.stdout)).toMatchObject({
      customers: [{ email: 'bob@example.com' }],
      has_more: false,
    });
    const limited = await workspace.run('customers', 'list', '--limit', '1');
    expect(limited.stdout.trim().split('\n')).toHaveLength(3);
    expect(limited.stdout).toContain('more than 1');
    const none = await workspace.run('customers', 'list', '--status', 'suspended');
    expect(none.stdout).toBe('No customers match.\n');
  });

  it('refuses bad options with exit 2 and says which', async () => {
    const status = await workspace.run('customers', 'list', '--status', 'sleeping');
    expect(status.code).toBe(2);
    expect(status.stderr).toContain("option '--status <status>' argument 'sleeping' is invalid");
    const limit = await workspace.run('customers', 'list', '--limit', 'many');
    expect(limit.code).toBe(2);
    expect(limit.stderr).toContain('expected a whole number from 1 to 1000');
  });

  it('explains itself in --help', async () => {
    const top = await workspace.run('--help');
    for (const command of ['customers', 'keys', 'usage']) expect(top.stdout).toContain(command);
    const create = await workspace.run('customers', 'create', '--help');
    expect(create.code).toBe(0);
    for (const option of ['--external-id', '--email', '--name', '--plan', '--json']) {
      expect(create.stdout).toContain(option);
    }
  });
});
