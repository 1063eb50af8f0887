/**
 * `tollgate customers overrides <id>`: a customer's overrides of its plan, listed, set and removed
 * straight on the configured store, with the same rules as the admin API (catalog names and units,
 * every problem named, one transaction with its audit entry) and the same effect: running servers
 * obey the change on their next request (PostgreSQL tells them; see decision 012). The audit trail
 * names the operating-system user as `cli:<user>`.
 */
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import type { OverrideEntry } from '../core/contract/override-changes.js';
import { invalidRequest } from '../core/errors.js';
import { overrideView } from '../server/override-view.js';
import { withEngine } from './cli-engine.js';
import { formatTable, printJson } from './cli-output.js';

interface OverrideOptions {
  set: string[];
  remove: string[];
  removeAll?: boolean;
  expiresAt?: string;
  reason?: string;
  json?: boolean;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** `key=value`: the value as JSON when it parses (`5000`, `null`, `true`, `{...}`), else as text (`10GB`, `unlimited`). */
export function parseSetting(setting: string, index: number): OverrideEntry {
  const split = setting.indexOf('=');
  const path = `--set[${index}]`;
  if (split <= 0) throw invalidRequest([{ path, message: `expected key=value, got '${setting}'` }]);
  const text = setting.slice(split + 1);
  let value: unknown = text;
  try {
    value = JSON.parse(text);
  } catch {
    // A size with a unit or `unlimited`: the engine reads the text.
  }
  return { path: setting.slice(0, split), key: setting.slice(0, split), value };
}

function parseExpiry(text: string | undefined): number | null {
  if (text === undefined) return null;
  const at = Date.parse(text);
  if (Number.isNaN(at)) {
    throw invalidRequest([
      { path: '--expires-at', message: 'expected an ISO 8601 time, e.g. 2026-12-31T00:00:00Z' },
    ]);
  }
  return at;
}

function show(value: unknown): string {
  return value === null ? 'unlimited' : typeof value === 'object' ? JSON.stringify(value) : String(value);
}

export function registerOverrideCommands(program: Command): void {
  const customers = program.commands.find((command) => command.name() === 'customers') ?? program;
  customers
    .command('overrides <customer>')
    .description(
      "List, set or remove a customer's overrides of its plan's limits and features (audited; servers obey them at once).",
    )
    .option(
      '--set <key=value>',
      'set one (repeatable): credits=5000, operations.tokens.month=null, features.federation=true',
      collect,
      [],
    )
    .option('--remove <key>', 'remove one (repeatable)', collect, [])
    .option('--remove-all', 'remove every override')
    .option('--expires-at <time>', 'the --set overrides end then (ISO 8601, billing time)')
    .option('--reason <text>', 'kept in the audit trail')
    .option('--json', 'print JSON (the shape of GET /api/v1/admin/customers/:id/overrides)')
    .action(async (customerId: string, options: OverrideOptions) => {
      await withEngine(async ({ tollgate }) => {
        const actor = `cli:${userInfo().username}`;
        const reason = options.reason ?? null;
        if (options.set.length > 0) {
          const set = options.set.map(parseSetting);
          await tollgate.setOverrides(
            customerId,
            { set, expiresAt: parseExpiry(options.expiresAt), reason },
            actor,
          );
        }
        if (options.removeAll) await tollgate.removeOverrides(customerId, 'all', actor, reason);
        else if (options.remove.length > 0)
          await tollgate.removeOverrides(customerId, options.remove, actor, reason);

        const customer = await tollgate.getCustomer(customerId);
        const access = tollgate.access(customer);
        const now = tollgate.clock.now();
        const overrides = (await tollgate.listOverrides(customerId)).map((override) =>
          overrideView(access, override, now),
        );
        if (options.json) {
          printJson({ customer_id: customer.id, plan: access.catalogPlan.id, overrides });
          return;
        }
        if (overrides.length === 0) {
          process.stdout.write(
            `${customer.id} has no overrides: every limit is plan ${access.catalogPlan.id}'s.\n`,
          );
          return;
        }
        process.stdout.write(
          formatTable(
            ['key', 'value', 'plan', 'expires', 'in force', 'reason'],
            overrides.map((row) => [
              row.key,
              show(row.value),
              show(row.plan_value),
              row.expires_at ?? 'never',
              row.in_force ? 'yes' : 'no (expired)',
              row.reason ?? '',
            ]),
          ),
        );
      });
    });
}
