/**
 * `tollgate customers grants <customer-id>`: a customer's one-off grants on the configured store, for
 * operators without the HTTP API at hand. Lists them; with `--credits` (or `--operation` and
 * `--quantity`) makes one; with `--revoke <grant-id>` takes back what is unspent. Same rules and audit
 * trail as the admin API (actor `cli`).
 */
import { type Command, Option } from 'commander';
import { TollgateError } from '../core/errors.js';
import { auditGrant, grantBodySchema, grantInput, grantView } from '../server/grant-view.js';
import { parseInput } from '../server/parse-input.js';
import { withEngine } from './cli-engine.js';
import { formatTable, printJson } from './cli-output.js';

interface GrantOptions {
  credits?: string;
  operation?: string;
  quantity?: string;
  expires: 'period' | 'until_used';
  expiresAt?: string;
  key?: string;
  reason?: string;
  revoke?: string;
  json?: boolean;
}

const ACTOR = 'cli';

export function registerGrantCommands(program: Command): void {
  const customers =
    program.commands.find((command) => command.name() === 'customers') ?? program.command('customers');
  customers
    .command('grants')
    .description(
      "List a customer's grants; make one with --credits (or --operation and --quantity); revoke one with --revoke.",
    )
    .argument('<customer-id>', 'the customer id (tgcus_...)')
    .option('--credits <credits>', 'credits to grant (at most 3 decimals)')
    .option('--operation <operation>', 'grant units of this operation (its plan limits it per month)')
    .option('--quantity <units>', 'units of --operation to grant')
    .addOption(
      new Option('--expires <when>', 'period: until this credit period ends; until_used: carried over')
        .choices(['period', 'until_used'])
        .default('until_used'),
    )
    .option('--expires-at <time>', 'until_used only: ISO time after whose credit period it stops counting')
    .option(
      '--key <idempotency-key>',
      'a retry with the same key returns the first grant (required to make one)',
    )
    .option('--reason <reason>', 'why, for the audit trail')
    .option('--revoke <grant-id>', 'take back what is unspent of this grant')
    .option('--json', 'print JSON (the shapes of the admin API)')
    .action(async (customerId: string, options: GrantOptions) => {
      const making = options.credits !== undefined || options.operation !== undefined;
      if (making && options.revoke !== undefined) {
        throw new TollgateError('invalid_request', 'Make a grant or revoke one, not both.');
      }
      await withEngine(async ({ tollgate }) => {
        if (options.revoke !== undefined) {
          const before = (await tollgate.grants(customerId)).find(
            (entry) => entry.grant.id === options.revoke,
          );
          const revoked = grantView(await tollgate.revokeGrant(customerId, options.revoke, ACTOR));
          if (before !== undefined && before.grant.revokedAt === null) {
            await auditGrant(tollgate, ACTOR, 'grant.revoked', customerId, grantView(before), revoked);
          }
          if (options.json) printJson({ grant: revoked });
          else process.stdout.write(`Revoked ${revoked.id}: ${revoked.used} used, the rest taken back.\n`);
          return;
        }
        if (making) {
          const body = parseInput(grantBodySchema, {
            ...(options.credits !== undefined && { credits: Number(options.credits) }),
            ...(options.operation !== undefined && { operation: options.operation }),
            ...(options.quantity !== undefined && { quantity: Number(options.quantity) }),
            expires: options.expires,
            ...(options.expiresAt !== undefined && { expires_at: options.expiresAt }),
            idempotency_key: options.key,
            ...(options.reason !== undefined && { reason: options.reason }),
          });
          const { standing, created } = await tollgate.grant(customerId, {
            ...grantInput(body),
            createdBy: ACTOR,
          });
          const grant = grantView(standing);
          if (created) await auditGrant(tollgate, ACTOR, 'grant.created', customerId, null, grant);
          if (options.json) printJson({ grant });
          else process.stdout.write(`${created ? 'Granted' : 'Already granted (same key)'}: ${grant.id}\n`);
          return;
        }
        await tollgate.getCustomer(customerId);
        const grants = (await tollgate.grants(customerId)).map(grantView);
        if (options.json) {
          printJson({ data: grants });
          return;
        }
        if (grants.length === 0) {
          process.stdout.write('No grants.\n');
          return;
        }
        process.stdout.write(
          formatTable(
            ['id', 'what', 'amount', 'used', 'remaining', 'status', 'expires', 'reason'],
            grants.map((grant) => [
              grant.id,
              grant.operation ?? 'credits',
              grant.amount,
              grant.used,
              grant.remaining,
              grant.status,
              grant.expires_at ?? grant.expires,
              grant.reason,
            ]),
          ),
        );
      });
    });
}
