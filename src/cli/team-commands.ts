/**
 * Team keys from the command line (docs/decisions/015): the owner and limit flags `keys create` takes,
 * `keys update` to change a key's name, owner or limits (audited like the admin API's change), and
 * `keys usage` for a customer's usage this period by key.
 */
import { type Command, InvalidArgumentError } from 'commander';
import { TollgateError } from '../core/errors.js';
import type { KeyChange, KeyLimitsChange } from '../core/team-keys.js';
import { apiKeyView } from '../server/customer-view.js';
import { keyBreakdownView, keyChangeAudit, keyLimitsView } from '../server/team-key-view.js';
import { withEngine } from './cli-engine.js';
import { formatFields, formatTable, printJson } from './cli-output.js';

/** A limit flag's value: a whole number, or `none` to remove that limit. */
type LimitFlag = number | 'none';

/** The limit flags, as commander gives them. */
export interface KeyLimitFlags {
  owner?: string;
  credits?: LimitFlag;
  requestsPerMinute?: LimitFlag;
  requestsPerDay?: LimitFlag;
}

/** Commander turns a null from a parser into '': `none` stays a word until the change is built. */
function parseKeyLimit(value: string): LimitFlag {
  if (value === 'none') return 'none';
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new InvalidArgumentError(`expected a whole number or 'none', got '${value}'`);
  }
  return Number(value);
}

/** Adds `--owner` and the limit flags to a `keys` subcommand. */
export function withKeyLimitFlags(command: Command): Command {
  return command
    .option('--owner <owner>', "who holds the key: a member's email or user id")
    .option(
      '--credits <credits>',
      'whole credits per credit period, inside the customer quota',
      parseKeyLimit,
    )
    .option('--requests-per-minute <n>', 'requests per minute, inside the customer rate', parseKeyLimit)
    .option('--requests-per-day <n>', 'requests per day, inside the customer rate', parseKeyLimit);
}

/** The engine's key change of the flags given (none given: no change). */
export function keyChangeOfFlags(flags: KeyLimitFlags): KeyChange {
  const limits: KeyLimitsChange = {};
  const value = (flag: LimitFlag) => (flag === 'none' ? null : flag);
  if (flags.credits !== undefined) limits.credits = value(flags.credits);
  if (flags.requestsPerMinute !== undefined) limits.requestsPerMinute = value(flags.requestsPerMinute);
  if (flags.requestsPerDay !== undefined) limits.requestsPerDay = value(flags.requestsPerDay);
  return {
    ...(flags.owner !== undefined && { owner: flags.owner === 'none' ? null : flags.owner }),
    ...(Object.keys(limits).length > 0 && { limits }),
  };
}

export function registerTeamKeyCommands(keys: Command): void {
  withKeyLimitFlags(
    keys
      .command('update')
      .description("Change a key's name, owner or limits ('none' removes one). Audited.")
      .argument('<key-id>', 'the key id (key_...)')
      .option('--name <name>', "the key's label ('none' removes it)"),
  )
    .option('--json', 'print JSON (the shape of PATCH /api/v1/admin/keys/:id)')
    .action(async (keyId: string, options: KeyLimitFlags & { name?: string; json?: boolean }) => {
      const change = keyChangeOfFlags(options);
      if (options.name !== undefined) change.name = options.name === 'none' ? null : options.name;
      if (Object.keys(change).length === 0) {
        throw new TollgateError(
          'invalid_request',
          'Give at least one of --name, --owner, --credits, --requests-per-minute, --requests-per-day',
        );
      }
      await withEngine(async ({ tollgate }) => {
        const { before, after } = await tollgate.updateApiKey(keyId, change);
        await tollgate.store.appendAudit(keyChangeAudit(before, after, 'cli', tollgate.clock.now()));
        if (options.json) {
          printJson(apiKeyView(after));
          return;
        }
        const limits = keyLimitsView(after.limits);
        process.stdout.write(
          formatFields([
            ['key id', after.id],
            ['name', after.name],
            ['owner', after.owner ?? null],
            ['credits', limits?.credits ?? 'none'],
            ['requests/minute', limits?.requests_per_minute ?? 'none'],
            ['requests/day', limits?.requests_per_day ?? 'none'],
          ]),
        );
      });
    });

  keys
    .command('usage')
    .description("A customer's usage this period by key, with each key's owner and limits.")
    .argument('<customer-id>', 'the customer')
    .option('--json', 'print JSON (the shape of GET /api/v1/admin/customers/:id/usage/keys)')
    .action(async (customerId: string, options: { json?: boolean }) => {
      await withEngine(async ({ tollgate }) => {
        const [usage, records] = await Promise.all([
          tollgate.usageByKey(customerId),
          tollgate.store.listApiKeys(customerId),
        ]);
        const view = keyBreakdownView(
          customerId,
          { start: usage.periodStart, end: usage.periodEnd },
          records,
          usage.keys,
        );
        if (options.json) {
          printJson(view);
          return;
        }
        process.stdout.write(
          formatTable(
            ['key id', 'name', 'owner', 'credits used', 'credit limit', 'events'],
            [
              ...view.keys.map((key) => [
                key.key_id,
                key.name,
                key.owner,
                key.credits_used,
                key.limits?.credits ?? 'none',
                key.events,
              ]),
              ['(no key)', null, null, view.unattributed.credits_used, null, view.unattributed.events],
            ],
          ),
        );
        process.stdout.write(`Total: ${view.credits_used} credits, ${view.events} events this period.\n`);
      });
    });
}
