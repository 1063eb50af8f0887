/**
 * `tollgate customers prices <id> [set <plan> <interval> <amount> | remove <plan> <interval>]`: a
 * customer's negotiated prices from the command line, by the same rules as the admin API
 * (docs/decisions/013-custom-prices.md): `set` creates the Stripe price once on the plan's product
 * and stores it with an audit entry naming `cli`; `remove` sells the catalog price again to future
 * subscriptions. Listing needs no Stripe; changing needs the Stripe the service uses.
 */
import type { Command } from 'commander';
import { customerPriceIssues } from '../core/billing/custom-prices.js';
import { buildPriceIndex } from '../core/billing/subscription-state.js';
import { invalidRequest } from '../core/errors.js';
import type { BillingInterval } from '../core/ports.js';
import { customerPriceView } from '../server/routes/admin-price-routes.js';
import { createCustomerPrices } from '../stripe/billing/customer-prices.js';
import { createStripeGateway } from '../stripe/gateway/stripe-gateway.js';
import { type CliEngine, withEngine } from './cli-engine.js';
import { formatTable, printJson } from './cli-output.js';
import { requireCliStripe } from './cli-stripe.js';

const ACTOR = 'cli';

/** The admin flow on the CLI's engine and the configured Stripe. */
async function pricesOf({ config, tollgate }: CliEngine) {
  const { stripe, testClock } = await requireCliStripe(config);
  const fromEnvironment = Object.fromEntries(
    Object.entries(config.stripePriceIds).map(([planId, month]) => [planId, { month }]),
  );
  return createCustomerPrices({
    tollgate,
    gateway: createStripeGateway({ stripe, testClock }),
    prices: async () =>
      buildPriceIndex(tollgate.catalog, await tollgate.store.getStripeCatalogIds(), fromEnvironment),
    serialized: (_customerId, change) => change(),
  });
}

/** Parses `<amount>` as the API does: a non-negative integer of minor units, or the same issue. */
function parsedInput(
  catalog: CliEngine['tollgate']['catalog'],
  plan: string,
  interval: string,
  amount: string,
) {
  const value = /^\d+$/.test(amount) ? Number(amount) : amount;
  const issues = customerPriceIssues(catalog, { planId: plan, interval, amount: value });
  if (issues.length > 0) throw invalidRequest(issues);
  return { planId: plan, interval: interval as BillingInterval, amount: value as number };
}

export function registerPriceCommands(program: Command): void {
  const customers =
    program.commands.find((command) => command.name() === 'customers') ?? program.command('customers');
  customers
    .command('prices')
    .description(
      "A customer's negotiated prices: list them, `set <plan> <interval> <amount>` (minor units) or `remove <plan> <interval>`.",
    )
    .argument('<customer>', 'customer id')
    .argument('[action]', '`set` or `remove`; list when absent')
    .argument('[plan]', 'plan id')
    .argument('[interval]', '`month` or `year`')
    .argument('[amount]', 'minor units per interval, e.g. 200000 for $2,000.00')
    .option('--reason <text>', 'why (the contract), kept in the audit trail')
    .option('--history', 'list replaced and removed prices too')
    .option('--json', 'print JSON (the admin API shape)')
    .action(
      async (
        customerId: string,
        action: string | undefined,
        plan: string | undefined,
        interval: string | undefined,
        amount: string | undefined,
        options: { reason?: string; history?: boolean; json?: boolean },
      ) =>
        withEngine(async (engine) => {
          const { tollgate } = engine;
          if (action === 'set') {
            const input = parsedInput(tollgate.catalog, plan ?? '', interval ?? '', amount ?? '');
            const result = await (await pricesOf(engine)).set(
              customerId,
              { ...input, reason: options.reason ?? null },
              ACTOR,
            );
            if (options.json) {
              printJson({
                price: customerPriceView(result.price),
                replaced: result.replaced && customerPriceView(result.replaced),
                changed: result.changed,
              });
              return;
            }
            process.stdout.write(
              result.changed
                ? `${customerId} now pays ${result.price.amount} ${result.price.currency} per ${result.price.interval} for ${result.price.planId} (${result.price.stripePriceId}).\n`
                : `${customerId} already pays ${result.price.amount} ${result.price.currency} per ${result.price.interval} for ${result.price.planId}; nothing changed.\n`,
            );
            return;
          }
          if (action === 'remove') {
            if (interval !== 'month' && interval !== 'year')
              throw invalidRequest([{ path: 'interval', message: "expected 'month' or 'year'" }]);
            const removed = await (await pricesOf(engine)).remove(customerId, plan ?? '', interval, ACTOR);
            if (options.json) printJson({ price: customerPriceView(removed) });
            else
              process.stdout.write(
                `${customerId} pays the catalog price for ${removed.planId} (${removed.interval}ly) from its next subscription or plan change.\n`,
              );
            return;
          }
          if (action !== undefined)
            throw invalidRequest([
              { path: 'action', message: `expected 'set' or 'remove', got '${action}'` },
            ]);
          if (!(await tollgate.store.getCustomer(customerId)))
            throw invalidRequest([{ path: 'customer', message: `no customer '${customerId}'` }]);
          const prices = await tollgate.store.listCustomerPrices({
            customerId,
            includeRemoved: options.history === true,
          });
          if (options.json) {
            printJson({ data: prices.map(customerPriceView) });
            return;
          }
          if (prices.length === 0) {
            process.stdout.write(`${customerId} pays the catalog prices.\n`);
            return;
          }
          process.stdout.write(
            formatTable(
              ['PLAN', 'INTERVAL', 'AMOUNT', 'CURRENCY', 'STRIPE PRICE', 'SET BY', 'SINCE', 'ACTIVE'],
              prices.map((price) => [
                price.planId,
                price.interval,
                price.amount,
                price.currency,
                price.stripePriceId,
                price.createdBy,
                new Date(price.createdAt).toISOString().slice(0, 10),
                price.removedAt === null ? 'yes' : 'no',
              ]),
            ),
          );
        }),
    );
}
