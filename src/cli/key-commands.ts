/**
 * `tollgate keys create|revoke`: API keys issued and revoked on the configured store. A key is shown
 * once, when issued; the store keeps only its hash. A revocation reaches running services sharing a
 * PostgreSQL store at once (the customers' change feed); otherwise when their key cache entry expires.
 */
import type { Command } from 'commander';
import { TollgateError } from '../core/errors.js';
import type { KeyLimits } from '../core/ports.js';
import { issuedKeyView } from '../server/customer-view.js';
import { keyLimitsView } from '../server/team-key-view.js';
import { withEngine } from './cli-engine.js';
import { formatFields, printJson } from './cli-output.js';
import {
  type KeyLimitFlags,
  keyChangeOfFlags,
  registerTeamKeyCommands,
  withKeyLimitFlags,
} from './team-commands.js';

interface CreateOptions extends KeyLimitFlags {
  name?: string;
  admin?: boolean;
  json?: boolean;
}

export function registerKeyCommands(program: Command): void {
  const keys = program.command('keys').description('Issue, change and revoke API keys; usage by key.');

  withKeyLimitFlags(
    keys
      .command('create')
      .description('Issue a key for a customer, or an admin key with --admin (shown this once).')
      .argument('[customer-id]', 'the customer the key belongs to')
      .option('--name <name>', 'a label to tell keys apart'),
  )
    .option('--admin', 'issue an admin key (no customer)')
    .option('--json', 'print JSON (the shape of POST /api/v1/admin/customers/:id/keys)')
    .action(async (customerId: string | undefined, options: CreateOptions) => {
      if (Boolean(options.admin) === (customerId !== undefined)) {
        throw new TollgateError(
          'invalid_request',
          'Give a customer id, or --admin for an admin key (not both).',
        );
      }
      await withEngine(async ({ tollgate }) => {
        const issued = await tollgate.issueApiKey(
          customerId ?? null,
          options.name ?? null,
          keyChangeOfFlags(options),
        );
        if (options.json) {
          printJson(issuedKeyView(issued));
          return;
        }
        process.stdout.write(
          formatFields([
            ['key id', issued.record.id],
            ['customer', issued.record.customerId ?? '(admin key)'],
            ['name', issued.record.name],
            ...(issued.record.owner ? [['owner', issued.record.owner] as const] : []),
            ...(issued.record.limits ? [['limits', formatKeyLimits(issued.record.limits)] as const] : []),
            ['API key', issued.key],
          ]),
        );
        process.stdout.write('The API key is shown only now: store it safely.\n');
      });
    });

  keys
    .command('revoke')
    .description('Revoke a key: it is refused from then on (a running service within seconds).')
    .argument('<key-id>', 'the key id (key_...), not the key itself')
    .option('--json', 'print JSON')
    .action(async (keyId: string, options: { json?: boolean }) => {
      await withEngine(async ({ tollgate }) => {
        await tollgate.revokeApiKey(keyId);
        if (options.json) printJson({ id: keyId, revoked: true });
        else process.stdout.write(`Revoked ${keyId}.\n`);
      });
    });

  registerTeamKeyCommands(keys);
}

/** `30 credits, 10/minute` */
function formatKeyLimits(limits: KeyLimits): string {
  const view = keyLimitsView(limits);
  return [
    view?.credits != null ? `${view.credits} credits` : null,
    view?.requests_per_minute != null ? `${view.requests_per_minute}/minute` : null,
    view?.requests_per_day != null ? `${view.requests_per_day}/day` : null,
  ]
    .filter((part) => part !== null)
    .join(', ');
}
