/**
 * `tollgate plans push [--dry-run]`: creates or updates the catalog's products, prices and overage
 * meter at Stripe (see `pushCatalog`) and records their ids in the store. Needs a real Stripe
 * connection: STRIPE_SECRET_KEY, and STRIPE_API_BASE to push to a standalone emulator (an in-process
 * one would vanish with this command).
 */
import type { Command } from 'commander';
import { ConfigError, loadConfig, type TollgateConfig } from '../config/load-config.js';
import { loadCatalog, openStore } from '../config/open-runtime.js';
import { describeChange, type PushCatalogResult, pushCatalog } from '../stripe/catalog-push/push-catalog.js';
import { createStripeClient } from '../stripe/stripe-client.js';

export function registerPlansCommands(program: Command): void {
  const plans = program.command('plans').description('The catalog at Stripe.');
  plans
    .command('push')
    .description('Create or update the Stripe products, prices and overage meter of the catalog.')
    .option('--dry-run', 'print the changes without making them')
    .action(async (options: { dryRun?: boolean }) => {
      await pushPlans(loadConfig(), { dryRun: options.dryRun === true }, (line) =>
        process.stdout.write(`${line}\n`),
      );
    });
}

/** The command's work, callable from tests with a configuration and an output of their own. */
export async function pushPlans(
  config: TollgateConfig,
  options: { dryRun: boolean },
  print: (line: string) => void,
): Promise<PushCatalogResult> {
  if (!config.stripeSecretKey) {
    throw new ConfigError([
      'STRIPE_SECRET_KEY: plans push needs a Stripe to push to (with STRIPE_API_BASE for a standalone emulator)',
    ]);
  }
  const stripe = createStripeClient({ secretKey: config.stripeSecretKey, apiBase: config.STRIPE_API_BASE });
  const { catalog } = loadCatalog(config);
  const store = openStore(config);
  try {
    await store.migrate();
    const result = await pushCatalog({ stripe, catalog, store, dryRun: options.dryRun });
    for (const change of result.changes) print(`${options.dryRun ? 'would ' : ''}${describeChange(change)}`);
    if (result.changes.length === 0) print('Stripe already holds the catalog: nothing to change.');
    if (!options.dryRun) {
      for (const [planId, ids] of Object.entries(result.ids)) {
        print(
          `${planId}: ${Object.entries(ids)
            .map(([kind, id]) => `${kind} ${id}`)
            .join(', ')}`,
        );
      }
    }
    return result;
  } finally {
    await store.close();
  }
}
