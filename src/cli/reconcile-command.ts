/**
 * `tollgate reconcile [--dry-run]`: re-read customers, subscriptions and invoices from Stripe and repair
 * what missed webhooks left wrong, printing each change. Safe to run on a schedule (cron).
 */
import type { Command } from 'commander';
import { loadConfig, type TollgateConfig } from '../config/load-config.js';
import { openRuntime } from '../config/open-runtime.js';
import { buildPriceIndex } from '../core/billing/subscription-state.js';
import { TollgateError } from '../core/errors.js';
import { describeChange, reconcile } from '../stripe/reconcile/reconcile.js';
import { createStripeClient } from '../stripe/stripe-client.js';

export function stripeFor(config: TollgateConfig) {
  if (!config.stripeSecretKey) {
    throw new TollgateError(
      'invalid_request',
      'STRIPE_SECRET_KEY is not set (point STRIPE_API_BASE at `tollgate emulator` for a local Stripe).',
    );
  }
  return createStripeClient({ secretKey: config.stripeSecretKey, apiBase: config.STRIPE_API_BASE ?? null });
}

export function registerReconcileCommand(program: Command): void {
  program
    .command('reconcile')
    .description('Re-read Stripe and repair what missed webhooks left wrong, printing each change.')
    .option('--dry-run', 'print what would change, change nothing')
    .action(async (options: { dryRun?: boolean }) => {
      const config = loadConfig();
      const stripe = stripeFor(config);
      const runtime = await openRuntime(config);
      try {
        const prices = buildPriceIndex(
          runtime.catalog,
          // STRIPE_PRICE_ID_<TIER> names the monthly price.
          Object.fromEntries(Object.entries(config.stripePriceIds).map(([plan, month]) => [plan, { month }])),
        );
        const report = await reconcile({
          tollgate: runtime.tollgate,
          stripe,
          prices: () => prices,
          dryRun: options.dryRun ?? false,
          onChange: (change) =>
            process.stdout.write(
              `${options.dryRun ? 'would change' : 'changed'} ${describeChange(change)}\n`,
            ),
        });
        process.stdout.write(
          `${report.customersChecked} customers and ${report.invoicesChecked} invoices checked, ${report.changes.length} ${options.dryRun ? 'to change' : 'changed'}.\n`,
        );
      } finally {
        await runtime.close();
      }
    });
}
