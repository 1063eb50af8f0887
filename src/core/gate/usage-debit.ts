/**
 * The two ends of an admitted request's debit, shared by `consume` (one request) and `consumeBatch`
 * (a usage report's events): the debit the store decides, built from the request's evaluation, and
 * the decision its outcome becomes. One function for each, so a batched event and a single one are
 * debited and answered alike.
 */
import type { AccountAccess } from '../account.js';
import { creditCeiling } from '../catalog/catalog.js';
import { raiseLimit } from '../contract/grants.js';
import type { KeyLimits, UsageDebit, UsageOutcome, WindowDebit } from '../ports.js';
import { buildDecision, type DecisionFigures, type GateDecision } from './gate-decision.js';
import { deny, denyWindow, type Times } from './gate-denials.js';
import { applyWindowUsage, setUsed } from './gate-figures.js';
import { type GateRequest, requestFingerprint } from './gate-request.js';

/** What the debit of an admitted request is built from (the gate's evaluation of it). */
export interface DebitSource {
  customerId: string;
  access: AccountAccess;
  cost: number;
  figures: DecisionFigures;
  operationWindows: readonly WindowDebit[];
  occurredAt: number;
  limitedKey: { id: string; limits: KeyLimits } | undefined;
}

export function usageDebit(source: DebitSource, request: GateRequest, keyId: string | null): UsageDebit {
  const { access, limitedKey } = source;
  const debit: UsageDebit = {
    customerId: source.customerId,
    periodStart: access.period.start,
    operation: request.operation ?? '',
    quantity: request.quantity ?? 1,
    cost: source.cost,
    // Grants raise both by what is left of them, so granted credits are admitted and never billed.
    limit: raiseLimit(creditCeiling(access.plan), access.grants?.credits),
    included: source.figures.credits.effectiveLimit,
    idempotencyKey: request.idempotencyKey ?? null,
    requestHash: request.idempotencyKey ? requestFingerprint(request) : null,
    occurredAt: source.occurredAt,
    metadata: request.metadata ?? null,
    windows: source.operationWindows,
    keyId,
  };
  // Assigned when present rather than spread in: a batch builds a thousand of these.
  if (request.reservation) debit.reservation = { action: 'reserve', ...request.reservation };
  const keyLimit = limitedKey?.limits.credits ?? null;
  if (keyLimit !== null) debit.keyLimit = keyLimit;
  return debit;
}

/**
 * The decision a committed debit's outcome makes (not for `conflict`, which the caller turns into
 * its error): recorded, replayed, or denied by the credit quota, an operation window or the key's
 * own limit, with the figures the commit returned.
 */
export function committedDecision(
  source: DebitSource,
  request: GateRequest,
  outcome: Exclude<UsageOutcome, { kind: 'conflict' }>,
  times: Times,
  release?: () => void,
): GateDecision {
  const { figures } = source;
  setUsed(figures, outcome.used);
  if (outcome.kind === 'denied') {
    if (outcome.window !== undefined) {
      return denyWindow(figures, outcome.window, request.operation ?? '', request.quantity ?? 1, times);
    }
    if (outcome.key !== undefined) {
      const { id, limit, used } = outcome.key;
      figures.refusedKey = { keyId: id, kind: 'credits', limit, used, requested: source.cost };
    }
    return deny(figures, 'quota_exceeded', times);
  }
  if (outcome.windows !== undefined) applyWindowUsage(figures, source.operationWindows, outcome.windows);
  figures.eventId = outcome.eventId;
  figures.replayed = outcome.replayed;
  return buildDecision(figures, times.rateNow, release);
}
