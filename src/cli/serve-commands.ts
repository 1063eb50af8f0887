/**
 * `tollgate start` (the demo), `tollgate serve` (the service as configured) and `tollgate migrate`.
 * The service itself is in `serve-service.ts`, imported when a command runs it, once its optional
 * peers (Fastify and its plugins) are known to be installed.
 */
import type { Command } from 'commander';
import { loadConfig } from '../config/load-config.js';
import { openRuntime, openStore, type Runtime } from '../config/open-runtime.js';
import { checkPeers } from '../config/optional-peer.js';

/** What the HTTP service loads besides Tollgate's own dependencies. */
export const SERVICE_PEERS = ['fastify', '@fastify/static', 'pino', 'prom-client'] as const;

async function serve(runtime: Runtime, demo: boolean): Promise<void> {
  checkPeers(SERVICE_PEERS, 'The HTTP service');
  const service = await import('./serve-service.js');
  await service.serve(runtime, demo);
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
