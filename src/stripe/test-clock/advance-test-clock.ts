/**
 * Advancing the Stripe test clock and waiting for its consequences (`tollgate clock advance 3d`, the
 * admin endpoint): advance, poll until the clock is `ready` (Stripe runs renewals, trial ends and
 * retries while it is `advancing`), then wait until the inbox has processed every event of a handled
 * type created since the advance began. Waiting polls on the real clock; nothing here sleeps in tests
 * beyond what Stripe itself takes.
 */
import type Stripe from 'stripe';
import type { Store } from '../../core/ports.js';
import { handledEventTypes } from '../webhooks/handler-registry.js';
import type { TestClockFollower } from './test-clock-follower.js';

export interface AdvanceTestClockOptions {
  stripe: Stripe;
  store: Store;
  clockId: string;
  seconds: number;
  follower?: TestClockFollower;
  /** Real ms between polls (default 100). */
  pollMs?: number;
  /** Real ms to wait for the clock and then for the events (default 60,000). */
  timeoutMs?: number;
}

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

export async function advanceTestClock(options: AdvanceTestClockOptions): Promise<AdvanceResult> {
  const { stripe, clockId } = options;
  const pollMs = options.pollMs ?? 100;
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  const before = await stripe.testHelpers.testClocks.retrieve(clockId);
  // Stripe stamps clock objects' events with clock time; other objects' with real time. Both count.
  const since = Math.min(before.frozen_time, Math.floor(Date.now() / 1000) - 1);
  await stripe.testHelpers.testClocks.advance(clockId, { frozen_time: before.frozen_time + options.seconds });

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
