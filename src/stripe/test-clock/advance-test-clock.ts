/**
 * Advancing the Stripe test clock and waiting for its consequences (`tollgate clock advance 3d`, the
 * admin endpoint): advance, poll until the clock is `ready` (Stripe runs renewals, trial ends and
 * retries while it is `advancing`), then wait until the inbox has processed every event of a handled
 * type created since the advance began. Waiting polls on the real clock; nothing here sleeps in tests
 * beyond what Stripe itself takes.
 */
import type Stripe from 'stripe';
import { TollgateError } from '../../core/errors.js';
import type { Store } from '../../core/ports.js';
import { handledEventTypes } from '../webhooks/handler-registry.js';
import type { TestClockFollower } from './test-clock-follower.js';

export interface AdvanceTestClockOptions {
  stripe: Stripe;
  store: Store;
  clockId: string;
  /** How far to move: a number of seconds, or past the next renewal of a subscription on the clock. */
  target: AdvanceTarget;
  follower?: TestClockFollower;
  /** Real ms between polls (default 100). */
  pollMs?: number;
  /** Real ms to wait for the clock and then for the events (default 60,000). */
  timeoutMs?: number;
}

export type AdvanceTarget = { seconds: number } | { to: 'renewal' };

/**
 * Stripe leaves a renewal invoice in draft for about an hour before it finalizes and charges it, so
 * "advance to the renewal" stops this long after the period end: the renewal is then paid (or has
 * failed), not still a draft.
 */
export const RENEWAL_SETTLE_SECONDS = 2 * 3600;

export interface AdvanceResult {
  clockId: string;
  /** The clock's time after advancing, Unix seconds. */
  frozenTime: number;
  /** Events of handled types created by the advance, all processed unless listed in `pending`. */
  events: number;
  /** Events still not processed (failed or not delivered) when the wait ran out. */
  pending: string[];
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** `3d`, `12h`, `30m`, `45s` or a number of seconds -> seconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+)\s*([smhd]?)$/.exec(text.trim());
  if (!match?.[1]) throw new Error(`expected a duration such as 3d, 12h, 30m or 45s, got '${text}'`);
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86_400 }[match[2] ?? ''] ?? 1;
  const seconds = Number(match[1]) * unit;
  if (seconds <= 0) throw new Error('the duration must be positive');
  return seconds;
}

/**
 * The earliest period end after `now` among the live subscriptions on the clock, Unix seconds; null
 * when none renews (no subscription, or all of them end at period end).
 */
export async function nextRenewal(stripe: Stripe, clockId: string, now: number): Promise<number | null> {
  let earliest: number | null = null;
  for await (const subscription of stripe.subscriptions.list({ test_clock: clockId, limit: 100 })) {
    if (subscription.cancel_at_period_end || subscription.status === 'paused') continue;
    for (const item of subscription.items.data) {
      const end = item.current_period_end;
      if (end > now && (earliest === null || end < earliest)) earliest = end;
    }
  }
  return earliest;
}

/** Where `target` puts the clock now at `now`, Unix seconds. */
async function targetTime(
  stripe: Stripe,
  clockId: string,
  now: number,
  target: AdvanceTarget,
): Promise<number> {
  if ('seconds' in target) return now + target.seconds;
  const renewal = await nextRenewal(stripe, clockId, now);
  if (renewal === null)
    throw new TollgateError(
      'conflict',
      `No subscription on test clock ${clockId} renews: nothing to advance to.`,
    );
  return renewal + RENEWAL_SETTLE_SECONDS;
}

export async function advanceTestClock(options: AdvanceTestClockOptions): Promise<AdvanceResult> {
  const { stripe, clockId } = options;
  const pollMs = options.pollMs ?? 100;
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  const before = await stripe.testHelpers.testClocks.retrieve(clockId);
  // Stripe stamps clock objects' events with clock time; other objects' with real time. Both count.
  const since = Math.min(before.frozen_time, Math.floor(Date.now() / 1000) - 1);
  const frozenTime = await targetTime(stripe, clockId, before.frozen_time, options.target);
  await stripe.testHelpers.testClocks.advance(clockId, { frozen_time: frozenTime });

  let clock = await stripe.testHelpers.testClocks.retrieve(clockId);
  while (clock.status !== 'ready') {
    if (clock.status === 'internal_failure') throw new Error(`test clock ${clockId} failed while advancing`);
    if (Date.now() > deadline) throw new Error(`test clock ${clockId} is still ${clock.status}`);
    await sleep(pollMs);
    clock = await stripe.testHelpers.testClocks.retrieve(clockId);
  }
  options.follower?.follow(clock.frozen_time);

  const handled = new Set(handledEventTypes());
  const expected: string[] = [];
  for await (const event of stripe.events.list({ created: { gte: since }, limit: 100 })) {
    if (handled.has(event.type)) expected.push(event.id);
  }
  let pending = expected;
  while (pending.length > 0) {
    const statuses = await Promise.all(pending.map((id) => options.store.getWebhookEvent(id)));
    pending = pending.filter((_, index) => statuses[index]?.status !== 'processed');
    if (pending.length === 0 || Date.now() > deadline) break;
    await sleep(pollMs);
  }
  return { clockId, frozenTime: clock.frozen_time, events: expected.length, pending };
}
