/**
 * `tollgate reconcile [--dry-run]`: re-read customers, subscriptions and invoices from Stripe and repair
 * what missed webhooks left wrong, printing each change. Safe to run on a schedule (cron).
 */
import type { Command } from 'commander';
import { indexWithCustomerPrices } from '../core/billing/custom-prices.js';
import { buildPriceIndex } from '../core/billing/subscription-state.js';
import { describeChange, reconcile } from '../stripe/reconcile/reconcile.js';
import { withEngine } from './cli-engine.js';
import { requireCliStripe } from './cli-stripe.js';

export function registerReconcileCommand(program: Command): void {
  program
    .command('reconcile')
    .description('Re-read Stripe and repair what missed webhooks left wrong, printing each change.')
    .option('--dry-run', 'print what would change, change nothing')
    .action(async (options: { dryRun?: boolean }) =>
      withEngine(async ({ config, tollgate }) => {
        const { stripe } = await requireCliStripe(config);
        const prices = buildPriceIndex(
          tollgate.catalog,
          // What `plans push` recorded, then STRIPE_PRICE_ID_<TIER> (the monthly price) over it.
          await tollgate.store.getStripeCatalogIds(),
          Object.fromEntries(Object.entries(config.stripePriceIds).map(([plan, month]) => [plan, { month }])),
        );
        const report = await reconcile({
          tollgate,
          stripe,
          prices: indexWithCustomerPrices(tollgate.store, () => prices),
          dryRun: options.dryRun ?? false,
          onChange: (change) =>
            process.stdout.write(
              `${options.dryRun ? 'would change' : 'changed'} ${describeChange(change)}\n`,
            ),
        });
        process.stdout.write(
          `${report.customersChecked} customers and ${report.invoicesChecked} invoices checked, ${report.changes.length} ${options.dryRun ? 'to change' : 'changed'}.\n`,
        );
      }),
    );
}
