/**
 * Quota warnings (80, 90, 100 percent of the included credits, and of each limited window of an
 * operation) from the engine's decisions: every admitted, debited, first-time (not replayed) decision is
 * checked with the core's `quotaThresholdsCrossed`, so each warning goes out once per period, or once
 * per operation window (the store serialises debits, and a window's count only grows). Operation
 * warnings carry `operation`, `window` and `windowEnd` in their data, with `used` and `limit` in units.
 * Returns the unsubscribe function.
 */
import type { Notifier } from '../core/notifications/notifier.js';
import { quotaThresholdsCrossed } from '../core/notifications/quota-thresholds.js';
import type { Tollgate } from '../core/tollgate.js';

export function notifyQuotaThresholds(
  tollgate: Tollgate,
  notifier: Notifier,
  onError: (error: unknown) => void = () => {},
): () => void {
  return tollgate.observeDecisions((decision) => {
    if (!decision.allowed || decision.eventId === null || decision.replayed) return;
    // The quota with what is left of grants (they are spent first): a grant made mid-period raises it,
    // so its thresholds can be crossed again, each once, for the raised quota.
    const { used, cost, effectiveLimit: limit, resetAt } = decision.credits;
    for (const type of quotaThresholdsCrossed(used - cost, used, limit)) {
      notifier
        .notify({
          type,
          customerId: decision.customerId,
          data: { plan: decision.plan, used, limit, periodEnd: resetAt },
          at: tollgate.clock.now(),
        })
        .catch(onError);
    }
    const operation = decision.operation;
    if (operation === null) return;
    for (const window of operation.windows) {
      if (window.used === null) continue;
      for (const type of quotaThresholdsCrossed(
        window.used - operation.quantity,
        window.used,
        window.limit,
      )) {
        notifier
          .notify({
            type,
            customerId: decision.customerId,
            data: {
              plan: decision.plan,
              operation: operation.id,
              window: window.window,
              used: window.used,
              limit: window.limit,
              windowEnd: window.resetAt,
            },
            at: tollgate.clock.now(),
          })
          .catch(onError);
      }
    }
  });
}
