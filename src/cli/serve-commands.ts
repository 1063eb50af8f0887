/**
 * `tollgate start` (the demo), `tollgate serve` (the service as configured) and `tollgate migrate`.
 */
import type { Command } from 'commander';
import { loadConfig } from '../config/load-config.js';
import { openRuntime, openStore, type Runtime } from '../config/open-runtime.js';
import { createServer } from '../server/create-server.js';
import { createWebhookInbox, parseWebhookSecrets } from '../stripe/webhooks/webhook-inbox.js';
import { seedDemo } from './seed-demo.js';

async function serve(runtime: Runtime, demo: boolean): Promise<void> {
  const { stripe } = runtime;
  // Webhooks need a signing secret: STRIPE_WEBHOOK_SECRET, or the in-process emulator's.
  const secrets = parseWebhookSecrets(stripe.webhookSecret);
  const inbox =
    secrets.length > 0
      ? createWebhookInbox({
          tollgate: runtime.tollgate,
          stripe: stripe.client,
          secrets,
          prices: stripe.prices,
          gracePeriodMs: runtime.config.STRIPE_PAYMENT_GRACE_PERIOD_DAYS * 86_400_000,
          ...(stripe.clockFollower ? { onTestClockReady: stripe.clockFollower.onTestClockReady } : {}),
        })
      : undefined;
  const app = createServer({
    tollgate: runtime.tollgate,
    billing: stripe.billing,
    ...(inbox ? { stripeWebhooks: inbox } : {}),
    logger: !demo,
    demoRoutes: demo,
  });
  const address = await app.listen({ port: runtime.config.PORT, host: runtime.config.HOST });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`\n${signal}: finishing in-flight requests and pending commits...\n`);
    await app.close();
    await runtime.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
  if (demo) process.stdout.write(await seedDemo(runtime, address));
  else process.stdout.write(`Tollgate listening on ${address}\n`);
}

export function registerServeCommands(program: Command): void {
  program
    .command('start')
    .description(
      'Run the demo: the service on the embedded SQLite store with the demo catalog, demo routes and (without STRIPE_SECRET_KEY) the Stripe emulator on a test clock.',
    )
    .action(async () => {
      const runtime = await openRuntime(loadConfig(), { demo: true });
      if (runtime.demoCatalog) process.stderr.write('No TOLLGATE_CONFIG given: using the demo catalog.\n');
      await serve(runtime, true);
    });

  program
    .command('serve')
    .description('Run the HTTP service as configured by the environment.')
    .action(async () => {
      const config = loadConfig();
      const runtime = await openRuntime(config);
      if (runtime.demoCatalog)
        process.stderr.write('warning: no TOLLGATE_CONFIG given, using the demo catalog.\n');
      await serve(runtime, false);
    });

  program
    .command('migrate')
    .description('Create or upgrade the database schema (also done at every start).')
    .action(async () => {
      const store = openStore(loadConfig());
      await store.migrate();
      await store.close();
      process.stdout.write('Database schema is up to date.\n');
    });
}
