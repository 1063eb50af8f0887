/**
 * `tollgate customers create|list`: customers managed straight on the configured store, for operators
 * without the HTTP API at hand (first setup, scripts, support). Same rules as the admin API: a plan
 * from the catalog, a unique external id, and the first API key shown once.
 */
import { type Command, Option } from 'commander';
import type { AccountStatus } from '../core/ports.js';
import { customerView, issuedKeyView } from '../server/customer-view.js';
import { withEngine } from './cli-engine.js';
import { formatFields, formatTable, parseLimit, printJson } from './cli-output.js';

const statuses: readonly AccountStatus[] = ['active', 'trialing', 'past_due', 'suspended', 'canceled'];

interface CreateOptions {
  externalId?: string;
  email?: string;
  name?: string;
  plan?: string;
  json?: boolean;
}

interface ListOptions {
  plan?: string;
  status?: AccountStatus;
  search?: string;
  limit: number;
  json?: boolean;
}

export function registerCustomerCommands(program: Command): void {
  const customers = program.command('customers').description('Create and list customers in the store.');

  customers
    .command('create')
    .description('Create a customer and its first API key (the key is shown this once).')
    .option('--external-id <id>', "your app's id for this customer (unique)")
    .option('--email <email>', 'contact email')
    .option('--name <name>', 'display name')
    .option('--plan <plan>', "plan id from the catalog (default: the catalog's default plan)")
    .option('--json', 'print JSON (the shape of POST /api/v1/admin/customers)')
    .action(async (options: CreateOptions) => {
      await withEngine(async ({ tollgate }) => {
        const customer = await tollgate.createCustomer({
          externalId: options.externalId ?? null,
          email: options.email ?? null,
          name: options.name ?? null,
          ...(options.plan !== undefined ? { plan: options.plan } : {}),
        });
        const key = await tollgate.issueApiKey(customer.id, 'first key');
        if (options.json) {
          printJson({
            customer: customerView(customer, tollgate.access(customer)),
            api_key: issuedKeyView(key),
          });
          return;
        }
        process.stdout.write(
          formatFields([
            ['customer', customer.id],
            ['plan', customer.plan],
            ['status', customer.status],
            ['external id', customer.externalId],
            ['email', customer.email],
            ['name', customer.name],
            ['key id', key.record.id],
            ['API key', key.key],
          ]),
        );
        process.stdout.write('The API key is shown only now: store it safely.\n');
      });
    });

  customers
    .command('list')
    .description('List customers, oldest id first.')
    .option('--plan <plan>', 'only this plan')
    .addOption(new Option('--status <status>', 'only this stored status').choices(statuses))
    .option('--search <text>', 'id, external id, email or name containing this text')
    .option('--limit <n>', 'at most this many (1-1000)', parseLimit(1000), 50)
    .option('--json', 'print JSON')
    .action(async (options: ListOptions) => {
      await withEngine(async ({ tollgate }) => {
        const page = await tollgate.store.listCustomers({
          limit: options.limit,
          ...(options.plan !== undefined ? { plan: options.plan } : {}),
          ...(options.status !== undefined ? { status: options.status } : {}),
          ...(options.search !== undefined ? { search: options.search } : {}),
        });
        if (options.json) {
          printJson({
            customers: page.customers.map((customer) => customerView(customer, tollgate.access(customer))),
            has_more: page.hasMore,
          });
          return;
        }
        if (page.customers.length === 0) {
          process.stdout.write('No customers match.\n');
          return;
        }
        process.stdout.write(
          formatTable(
            ['ID', 'PLAN', 'STATUS', 'EXTERNAL ID', 'EMAIL', 'NAME', 'CREATED'],
            page.customers.map((customer) => [
              customer.id,
              customer.plan,
              tollgate.access(customer).status,
              customer.externalId,
              customer.email,
              customer.name,
              new Date(customer.createdAt).toISOString().slice(0, 10),
            ]),
          ),
        );
        if (page.hasMore)
          process.stdout.write(`(more than ${options.limit}: raise --limit or narrow the filter)\n`);
      });
    });
}
