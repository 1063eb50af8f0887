/**
 * The `tollgate` command. Errors print one clear message and exit non-zero, never a stack trace.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config/load-config.js';
import { MissingPeerError } from '../config/optional-peer.js';
import { CatalogError } from '../core/catalog/catalog-error.js';
import { TollgateError } from '../core/errors.js';
import { registerClockCommand } from './clock-command.js';
import { registerCustomerCommands } from './customer-commands.js';
import { registerDashboardCommand } from './dashboard-command.js';
import { registerEmulatorCommand } from './emulator-command.js';
import { registerGrantCommands } from './grant-commands.js';
import { registerKeyCommands } from './key-commands.js';
import { registerOverrideCommands } from './override-commands.js';
import { registerPlansCommands } from './plans-commands.js';
import { registerPriceCommands } from './price-commands.js';
import { registerReconcileCommand } from './reconcile-command.js';
import { registerServeCommands } from './serve-commands.js';
import { registerUsageCommand } from './usage-command.js';

// The package's own manifest, two levels up from both src/cli and dist/cli.
const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

const program = new Command()
  .name('tollgate')
  .version(version, '-V, --version', 'print the version of Tollgate')
  .description('Plans, usage metering, quotas, rate limits and Stripe subscriptions in front of any API.')
  .showHelpAfterError()
  .exitOverride();

registerServeCommands(program);
registerEmulatorCommand(program);
registerPlansCommands(program);
registerReconcileCommand(program);
registerClockCommand(program);
registerCustomerCommands(program);
registerOverrideCommands(program);
registerGrantCommands(program);
registerPriceCommands(program);
registerKeyCommands(program);
registerUsageCommand(program);
registerDashboardCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  // Commander printed the problem already; a command used wrongly exits 2, like bad configuration.
  if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? 0 : 2);
  if (
    error instanceof ConfigError ||
    error instanceof CatalogError ||
    error instanceof TollgateError ||
    error instanceof MissingPeerError
  ) {
    process.stderr.write(`tollgate: ${error.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`tollgate: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
