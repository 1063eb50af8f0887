/**
 * `tollgate start` (the demo), `tollgate serve` (the service as configured) and `tollgate migrate`.
 * The service itself is in `serve-service.ts`, imported when a command runs it, once its optional
 * peers (Fastify and its plugins) are known to be installed.
 */
import { createServer as createNetServer } from 'node:net';
import type { Command } from 'commander';
import { ConfigError, loadConfig, type TollgateConfig } from '../config/load-config.js';
import { openRuntime, openStore, type Runtime } from '../config/open-runtime.js';
import { checkPeers } from '../config/optional-peer.js';

/** What the HTTP service loads besides Tollgate's own dependencies. */
export const SERVICE_PEERS = ['fastify', '@fastify/static', 'pino', 'prom-client'] as const;

async function serve(runtime: Runtime, demo: boolean): Promise<void> {
  checkPeers(SERVICE_PEERS, 'The HTTP service');
  const service = await import('./serve-service.js');
  await service.serve(runtime, demo);
}

interface ListenFlags {
  port?: string;
  host?: string;
}

/** The configuration, with --port and --host over PORT and HOST (validated the same way). */
function configWithFlags(flags: ListenFlags): TollgateConfig {
  return loadConfig({
    ...process.env,
    ...(flags.port !== undefined ? { PORT: flags.port } : {}),
    ...(flags.host !== undefined ? { HOST: flags.host } : {}),
  });
}

/**
 * Fails before anything starts (the emulator, a test clock) when the port is taken, with the way out,
 * instead of a raw `listen EADDRINUSE` after the start-up lines.
 */
export async function ensurePortFree(host: string, port: number): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = createNetServer();
    probe.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EADDRINUSE') return reject(error);
      reject(
        new ConfigError([
          `PORT: ${port} on ${host} is already in use (is Tollgate running already?); set another, e.g. PORT=${port + 1} npm start, or tollgate serve --port ${port + 1}`,
        ]),
      );
    });
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}

export function registerServeCommands(program: Command): void {
  program
    .command('start')
    .description(
      'Run the demo: the service on the embedded SQLite store with the demo catalog, demo routes and (without STRIPE_SECRET_KEY) the Stripe emulator on a test clock.',
    )
    .option('-p, --port <port>', 'port to listen on (over PORT)')
    .option('--host <host>', 'interface to listen on (over HOST)')
    .action(async (flags: ListenFlags) => {
      const config = configWithFlags(flags);
      await ensurePortFree(config.HOST, config.PORT);
      const runtime = await openRuntime(config, { demo: true });
      if (runtime.demoCatalog) process.stderr.write('No TOLLGATE_CONFIG given: using the demo catalog.\n');
      await serve(runtime, true);
    });

  program
    .command('serve')
    .description('Run the HTTP service as configured by the environment.')
    .option('-p, --port <port>', 'port to listen on (over PORT)')
    .option('--host <host>', 'interface to listen on (over HOST)')
    .action(async (flags: ListenFlags) => {
      const config = configWithFlags(flags);
      await ensurePortFree(config.HOST, config.PORT);
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
