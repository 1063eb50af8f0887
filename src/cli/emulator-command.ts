/**
 * `tollgate emulator`: the local Stripe as its own process, for apps in any language and for
 * pointing Tollgate at it with STRIPE_API_BASE. Options map one to one to the emulator's own.
 */
import type { Command } from 'commander';
import { runStandalone } from '../emulator/standalone.js';

interface EmulatorCommandOptions {
  port: string;
  host: string;
  persist?: string;
  forwardTo?: string;
  webhookSecret?: string;
  secretKey?: string;
  publicUrl?: string;
}

export function registerEmulatorCommand(program: Command): void {
  program
    .command('emulator')
    .description('Run the local Stripe emulator (the official SDK talks to it unchanged).')
    .option('--port <port>', 'port to listen on', '12111')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--persist <file>', 'keep state in this JSON file across restarts')
    .option('--forward-to <url>', 'deliver every event, signed, to this webhook URL')
    .option('--webhook-secret <secret>', 'signing secret for webhook deliveries (whsec_...)')
    .option('--secret-key <key>', 'the secret key to print (any sk_test_ key is accepted)')
    .option('--public-url <url>', 'base URL of hosted pages when behind a proxy')
    .action(async (options: EmulatorCommandOptions) => {
      const port = Number(options.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        throw new Error(`--port: expected a port number, got '${options.port}'`);
      }
      const emulator = await runStandalone({
        port,
        host: options.host,
        persistPath: options.persist,
        forwardTo: options.forwardTo,
        webhookSecret: options.webhookSecret,
        secretKey: options.secretKey,
        publicUrl: options.publicUrl,
      });
      const stop = async () => {
        await emulator.close();
        process.exit(0);
      };
      process.once('SIGINT', () => void stop());
      process.once('SIGTERM', () => void stop());
    });
}
