/**
 * The `tollgate` command. Errors print one clear message and exit non-zero, never a stack trace.
 */
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config/load-config.js';
import { CatalogError } from '../core/catalog/catalog-error.js';
import { TollgateError } from '../core/errors.js';
import { registerEmulatorCommand } from './emulator-command.js';
import { registerServeCommands } from './serve-commands.js';

const program = new Command()
  .name('tollgate')
  .description('Plans, usage metering, quotas, rate limits and Stripe subscriptions in front of any API.')
  .showHelpAfterError()
  .exitOverride();

registerServeCommands(program);
registerEmulatorCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  if (error instanceof ConfigError || error instanceof CatalogError || error instanceof TollgateError) {
    process.stderr.write(`tollgate: ${error.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`tollgate: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
