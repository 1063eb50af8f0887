/**
 * Retries and take-backs: the first answer for a request whose idempotency key is already recorded,
 * and undoing what a request counted (rate hits, a concurrency slot) when a later step refuses it or
 * finds it a replay, so a request the gate denies records nothing.
 */
import { TollgateError } from '../errors.js';
import type { Counters, RateWindow, UsageEvent } from '../ports.js';
import { buildDecision, type DecisionFigures, type GateDecision } from './gate-decision.js';
import { setUsed } from './gate-figures.js';
import { type GateRequest, requestFingerprint } from './gate-request.js';

/**
 * The first answer for a request whose idempotency key was already recorded (checked only where a
 * limit would refuse the retry before it reaches the store, which answers replays itself).
 */
export async function replayOf(
  findUsageEvent: (customerId: string, idempotencyKey: string) => Promise<UsageEvent | undefined>,
  customerId: string,
  request: GateRequest,
  figures: DecisionFigures,
  rateNow: number,
): Promise<GateDecision | undefined> {
  if (!request.idempotencyKey) return undefined;
  const event = await findUsageEvent(customerId, request.idempotencyKey);
  if (!event) return undefined;
  if (event.requestHash !== requestFingerprint(request)) {
    throw new TollgateError('conflict', 'This idempotency key was used for a different request.', {
      event_id: event.id,
    });
  }
  setUsed(figures, event.usedAfter);
  figures.eventId = event.id;
  figures.replayed = true;
  return buildDecision(figures, rateNow);
}

/** Undoes what a request counted before a later step refused it (or found it a replay). */
export async function takeBack(
  counters: Counters,
  release: () => void,
  counted: RateWindow[],
  figures: DecisionFigures,
): Promise<void> {
  release();
  await undoRate(counters, counted, figures);
}

/** Takes back this request's rate hits, and shows the windows as they are after it. */
export async function undoRate(
  counters: Counters,
  windows: RateWindow[],
  figures: DecisionFigures,
): Promise<void> {
  if (windows.length === 0) return;
  await counters.undoRate(windows);
  for (const figure of [figures.rate.minute, figures.rate.day]) {
    if (figure) figure.remaining = Math.min(figure.limit, figure.remaining + 1);
  }
}
