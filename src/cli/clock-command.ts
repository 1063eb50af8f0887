/**
 * `tollgate clock advance <duration>` or `tollgate clock advance --to-renewal`: advance the
 * STRIPE_TEST_CLOCK test clock and return once the webhooks it caused are applied by the running
 * service (it polls the inbox's event log).
 */
import type { Command } from 'commander';
import { TollgateError } from '../core/errors.js';
import { advanceTestClock, parseDuration } from '../stripe/test-clock/advance-test-clock.js';
import { withEngine } from './cli-engine.js';
import { requireCliStripe } from './cli-stripe.js';

export function registerClockCommand(program: Command): void {
  const clock = program
    .command('clock')
    .description("The Stripe test clock Tollgate follows (STRIPE_TEST_CLOCK, or the running demo's).");
  clock
    .command('advance [duration]')
    .description(
      'Advance the test clock (3d, 12h, 30m, 45s, or --to-renewal) and wait until its webhooks are applied.',
    )
    .option('--to-renewal', "to the next renewal, past the hour Stripe takes to charge the renewal's invoice")
    .action(async (duration: string | undefined, flags: { toRenewal?: boolean }) => {
      if ((duration === undefined) === !flags.toRenewal)
        throw new TollgateError('invalid_request', 'Give a duration (such as 3d) or --to-renewal, not both.');
      await withEngine(async ({ config, tollgate }) => {
        const { stripe, testClock } = await requireCliStripe(config);
        if (!testClock)
          throw new TollgateError(
            'invalid_request',
            'STRIPE_TEST_CLOCK is not set, and no running demo has one.',
          );
        const result = await advanceTestClock({
          stripe,
          store: tollgate.store,
          clockId: testClock,
          target: duration === undefined ? { to: 'renewal' } : { seconds: parseDuration(duration) },
        });
        process.stdout.write(
          `${result.clockId} is at ${new Date(result.frozenTime * 1000).toISOString()}; ${result.events} events applied.\n`,
        );
        if (result.pending.length > 0)
          process.stdout.write(
            `still not applied (is the service receiving webhooks?): ${result.pending.join(', ')}\n`,
          );
      });
    });
}
