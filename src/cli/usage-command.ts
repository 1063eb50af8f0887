/**
 * `tollgate usage <customer-id>`: where a customer stands this period, as the service computes it
 * (the same figures as GET /api/v1/usage): plan, status, credits used, limit and left, the period,
 * and the request windows. Request windows live in the counters: with REDIS_URL they are read from
 * Redis; without it they exist only inside the serving process, so this command shows their limits only.
 */
import type { Command } from 'commander';
import { usageView } from '../server/usage-view.js';
import { withEngine } from './cli-engine.js';
import { formatFields, formatTable, printJson } from './cli-output.js';

const unlimited = (limit: string | number | null): string => (limit === null ? 'unlimited' : String(limit));

export function registerUsageCommand(program: Command): void {
  program
    .command('usage')
    .description("Show a customer's usage this period: plan, status, credits, period and request windows.")
    .argument('<customer-id>', 'the customer id (tgcus_...)')
    .option('--json', 'print JSON (the shape of GET /api/v1/usage)')
    .action(async (customerId: string, options: { json?: boolean }) => {
      await withEngine(async ({ tollgate, sharedCounters }) => {
        const customer = await tollgate.getCustomer(customerId);
        const usage = await tollgate.usage(customerId);
        // A check with no operation counts nothing; it reads the windows from the counters.
        const rate = sharedCounters ? (await tollgate.check(customerId, { countRequest: false })).rate : null;
        const operations = await tollgate.operationUsage(customerId);
        const grants = await tollgate.grants(customerId);
        const view = usageView(customer, usage.access, usage, rate, tollgate.clock.now(), operations, grants);
        if (options.json) {
          printJson(view);
          return;
        }
        const left =
          view.quota_remaining === null
            ? 'unlimited'
            : `${view.quota_remaining} (${view.usage_percentage ?? 0}% used${view.quota_exceeded ? ', exceeded' : ''})`;
        process.stdout.write(
          formatFields([
            ['customer', view.customer_id],
            ['plan', `${usage.access.plan.id} (${usage.access.plan.name})`],
            ['status', view.status],
            ['period', `${view.period_start} to ${view.period_end}`],
            ['credits used', view.credits_used],
            ['credits limit', unlimited(view.monthly_limit)],
            ['credits left', left],
            ['overage used', view.overage_used],
            ['trial ends', view.trial_end_date],
            ['grace ends', view.grace_period_end],
          ]),
        );
        const unknown = sharedCounters ? null : 'n/a';
        process.stdout.write(
          `\n${formatTable(
            ['WINDOW', 'USED', 'LIMIT'],
            [
              [
                'requests/minute',
                view.requests_this_minute ?? unknown,
                unlimited(view.requests_per_minute_limit),
              ],
              ['requests/day', view.requests_today ?? unknown, unlimited(view.requests_per_day_limit)],
              ['concurrent', unknown, unlimited(view.concurrent_requests_limit)],
              ['storage bytes', view.storage_bytes, unlimited(view.storage_bytes_limit)],
              ['storage items', view.storage_items, unlimited(view.storage_items_limit)],
            ],
          )}`,
        );
        if (!sharedCounters) {
          process.stdout.write(
            '(request windows are counted inside the service; set REDIS_URL to read them here)\n',
          );
        }
      });
    });
}
