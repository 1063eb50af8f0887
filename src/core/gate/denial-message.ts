/**
 * The sentence a denial answers with, with the figures a client needs to act ("Monthly quota
 * exceeded. Used 1000/1000 credits."), as the product brief's error bodies read. The registry's
 * message is the fallback when a refusal has no figures to show.
 */
import { formatCredits } from '../credits.js';
import { errorRegistry } from '../errors.js';
import type { DecisionFigures, DenyReason, Refusal } from './gate-decision.js';

export function denialMessage(reason: DenyReason, figures: DecisionFigures): string {
  const refusal = figures.refusal;
  if (reason === 'quota_exceeded') return quotaMessage(figures.credits);
  if (refusal === null) return errorRegistry[reason].message;
  switch (refusal.kind) {
    case 'rate':
      return `Rate limit exceeded (${refusal.limit} requests per ${refusal.window}).`;
    case 'concurrency':
      return `Too many requests at once (${refusal.limit} at a time on the ${figures.plan} plan).`;
    case 'feature':
      return `Feature '${refusal.feature}' is not available on the ${figures.plan} plan.`;
    case 'storage':
      return storageMessage(refusal);
  }
}

function quotaMessage(credits: DecisionFigures['credits']): string {
  const { limit, effectiveLimit } = credits;
  if (limit === null || effectiveLimit === null) return errorRegistry.quota_exceeded.message;
  const granted =
    effectiveLimit > limit
      ? ` (${formatCredits(limit)} of the plan, ${formatCredits(effectiveLimit - limit)} granted)`
      : '';
  const used = `Monthly quota exceeded. Used ${formatCredits(credits.used)}/${formatCredits(effectiveLimit)} credits${granted}.`;
  // Credits were left, just fewer than this request costs: say how many it needed.
  return credits.used < effectiveLimit ? `${used} This request needs ${formatCredits(credits.cost)}.` : used;
}

function storageMessage(refusal: Extract<Refusal, { kind: 'storage' }>): string {
  const over: string[] = [];
  const { current, requested, limits } = refusal;
  if (limits.bytes !== null && current.bytes + requested.bytes > limits.bytes) {
    over.push(`${current.bytes + requested.bytes} of ${limits.bytes} bytes`);
  }
  if (limits.items !== null && current.items + requested.items > limits.items) {
    over.push(`${current.items + requested.items} of ${limits.items} items`);
  }
  return `Storage limit exceeded (this request would store ${over.join(' and ')}).`;
}
