/**
 * "suspended" is computed (past due + grace over), so no event announces it. A periodic check
 * (`checkSuspensions`, every minute in the service, and after `clock advance`) finds accounts whose
 * grace has ended and notifies each once per failure: the notice is recorded in the audit log with the
 * failure time it was for, which is what makes a second run (or a second instance) skip it.
 */
import { resolveAccess } from '../core/account.js';
import type { Notifier } from '../core/notifications/notifier.js';
import type { Tollgate } from '../core/tollgate.js';

export async function checkSuspensions(
  tollgate: Tollgate,
  notifier: Notifier,
  gracePeriodMs?: number,
): Promise<string[]> {
  const { store, catalog } = tollgate;
  const now = tollgate.clock.now();
  const notified: string[] = [];
  for (const status of ['past_due', 'suspended'] as const) {
    for (let after: string | undefined; ; ) {
      const page = await store.listCustomers({ status, limit: 200, ...(after ? { after } : {}) });
      for (const customer of page.customers) {
        if (resolveAccess(customer, catalog, now, gracePeriodMs).serviceable) continue;
        const last = await store.listAudit({
          customerId: customer.id,
          action: 'notification.suspended',
          limit: 1,
        });
        if (last.entries[0]?.details.paymentFailedAt === customer.paymentFailedAt) continue;
        await store.appendAudit({
          at: now,
          actor: 'system',
          action: 'notification.suspended',
          customerId: customer.id,
          details: { paymentFailedAt: customer.paymentFailedAt },
        });
        await notifier.notify({
          type: 'suspended',
          customerId: customer.id,
          data: { plan: customer.plan, paymentFailedAt: customer.paymentFailedAt },
          at: now,
        });
        notified.push(customer.id);
      }
      after = page.customers.at(-1)?.id;
      if (!page.hasMore || after === undefined) break;
    }
  }
  return notified;
}
