/**
 * Quota warnings (80, 90, 100 percent of the included credits) from the engine's decisions: every
 * admitted, debited, first-time (not replayed) decision is checked with the core's
 * `quotaThresholdsCrossed`, so each warning goes out once per period. Returns the unsubscribe function.
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
    const { used, cost, limit, resetAt } = decision.credits;
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
  });
}
