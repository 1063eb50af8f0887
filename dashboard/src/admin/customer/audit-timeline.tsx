/**
 * The customer's audit timeline (status changes, reactivations, keys issued and revoked), newest
 * first, from GET /api/v1/admin/customers/:id/events. `version` changes after an action here, so
 * the timeline reloads and shows it.
 */
import { formatDateTime } from '../../lib/format';
import { usePagedList } from '../../lib/use-paged-list';
import { useApi } from '../admin-session';
import type { AuditEvent, ListPage } from '../admin-types';
import { PagedTable } from '../paged-list-parts';

const actionLabels: Record<string, string> = {
  'customer.reactivated': 'Reactivated by hand',
  'billing.status_changed': 'Billing status changed',
  'reconcile.customer': 'Reconciled with Stripe',
  'api_key.issued': 'API key issued',
  'api_key.revoked': 'API key revoked',
  'notification.suspended': 'Suspension notice sent',
};

function actionLabel(action: string): string {
  return actionLabels[action] ?? action.replace(/[._]/g, ' ');
}

/** Times in details (`paymentFailedAt`, `trial_end_at`: epoch ms) are shown as dates. */
function detailValue(key: string, value: unknown): string {
  if (typeof value === 'number' && /(At|_at)$/.test(key))
    return formatDateTime(new Date(value).toISOString());
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function detailText(details: Record<string, unknown>): string {
  return Object.entries(details)
    .filter(([, value]) => value !== null && value !== undefined && value !== '')
    .map(([key, value]) => `${key.replace(/_/g, ' ')}: ${detailValue(key, value)}`)
    .join(' · ');
}

export function AuditTimeline(props: { customerId: string; version: number }) {
  const api = useApi();
  const list = usePagedList<AuditEvent, string>(
    async (cursor, signal) => {
      const page = await api.get<ListPage<AuditEvent>>(
        `/api/v1/admin/customers/${encodeURIComponent(props.customerId)}/events`,
        { limit: 20, starting_after: cursor },
        signal,
      );
      return { items: page.data, next: page.has_more ? (page.data.at(-1)?.id ?? null) : null };
    },
    [api, props.customerId, props.version],
  );

  return (
    <section className="tg-card tg-stack" aria-labelledby="timeline-heading" data-testid="audit-timeline">
      <h2 id="timeline-heading">Activity</h2>
      <PagedTable list={list} label="events" empty="Nothing recorded for this customer yet." height={160}>
        {(events) => (
          <ol className="tg-timeline">
            {events.map((event) => {
              const details = detailText(event.details);
              return (
                <li key={event.id} data-testid="audit-event" data-action={event.action}>
                  <div className="tg-spread">
                    <strong>{actionLabel(event.action)}</strong>
                    <time className="tg-small tg-muted" dateTime={event.at}>
                      {formatDateTime(event.at)}
                    </time>
                  </div>
                  <div className="tg-small">by {event.actor}</div>
                  {details ? <div className="tg-small tg-muted tg-wrap-anywhere">{details}</div> : null}
                </li>
              );
            })}
          </ol>
        )}
      </PagedTable>
    </section>
  );
}
