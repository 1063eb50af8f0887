/**
 * Runs the emulator as a process: `npx tsx src/emulator/standalone.ts --port 12111`.
 *
 * `runStandalone()` is what the `tollgate emulator` command calls; it prints the key and webhook secret
 * to use and keeps running until SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util';
import { type Emulator, type EmulatorOptions, startEmulator } from './index.js';

export interface StandaloneOptions extends EmulatorOptions {
  /** Registers an endpoint for every event at this URL (like `stripe listen --forward-to`). */
  forwardTo?: string;
  log?: (line: string) => void;
}

export async function runStandalone(options: StandaloneOptions = {}): Promise<Emulator> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const emulator = await startEmulator(options);
  if (options.forwardTo) emulator.addWebhookEndpoint({ url: options.forwardTo });
  log(`Stripe emulator listening on ${emulator.url} (API version ${emulator.apiVersion})`);
  log(`  STRIPE_SECRET_KEY=${emulator.secretKey}   (any sk_test_ key is accepted)`);
  log(`  STRIPE_WEBHOOK_SECRET=${emulator.webhookSecret}`);
  log(`  Node: new Stripe(key, { host: '${emulator.host}', port: ${emulator.port}, protocol: 'http' })`);
  log(`  Control API: ${emulator.url}/_emulator/state`);
  if (options.forwardTo) log(`  Forwarding all events to ${options.forwardTo}`);
  return emulator;
}

/** Parses `--port`, `--host`, `--persist`, `--forward-to`, `--webhook-secret`, `--public-url`. */
export function parseStandaloneArgs(argv: string[]): StandaloneOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: '12111' },
      host: { type: 'string', default: '127.0.0.1' },
      persist: { type: 'string' },
      'forward-to': { type: 'string' },
      'webhook-secret': { type: 'string' },
      'secret-key': { type: 'string' },
      'public-url': { type: 'string' },
      'after-final-retry': { type: 'string' },
    },
    strict: true,
  });
  const afterFinalRetry = values['after-final-retry'];
  return {
    port: Number(values.port),
    host: values.host,
    persistPath: values.persist,
    forwardTo: values['forward-to'],
    webhookSecret: values['webhook-secret'],
    secretKey: values['secret-key'],
    publicUrl: values['public-url'],
    afterFinalRetry:
      afterFinalRetry === 'unpaid' || afterFinalRetry === 'past_due' ? afterFinalRetry : 'cancel',
  };
}

const isMain = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'));
if (isMain) {
  const emulator = await runStandalone(parseStandaloneArgs(process.argv.slice(2)));
  const stop = () => {
    void emulator.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
