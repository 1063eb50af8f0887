/**
 * The customer's audit timeline (its own billing actions, status changes, reactivations, keys issued
 * and revoked), newest first, from GET /api/v1/admin/customers/:id/events, in words (audit-details).
 * `version` changes after an action here, so the timeline reloads and shows it.
 */
import { formatDateTime } from '../../lib/format';
import { usePagedList } from '../../lib/use-paged-list';
import { useApi } from '../admin-session';
import type { AuditEvent, ListPage } from '../admin-types';
import { PagedTable } from '../paged-list-parts';
import { usePlanName } from '../plan-names';
import { actionLabel, actorLabel, detailItems } from './audit-details';

export function AuditTimeline(props: { customerId: string; version: number }) {
  const api = useApi();
  const planName = usePlanName();
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
      <PagedTable
        list={list}
        noun={['event', 'events']}
        empty="Nothing recorded for this customer yet."
        height={160}
      >
        {(events) => (
          <ol className="tg-timeline">
            {events.map((event) => {
              const details = detailItems(event.details, planName);
              return (
                <li key={event.id} data-testid="audit-event" data-action={event.action}>
                  <div className="tg-spread">
                    <strong data-testid="audit-title">{actionLabel(event.action, event.details)}</strong>
                    <time className="tg-small tg-muted" dateTime={event.at}>
                      {formatDateTime(event.at)}
                    </time>
                  </div>
                  <div className="tg-small">by {actorLabel(event.actor)}</div>
                  {details.length > 0 ? (
                    <dl className="tg-audit-details tg-small" data-testid="audit-details">
                      {details.map((detail) => (
                        <div key={detail.label}>
                          <dt>{detail.label}</dt>
                          <dd>{detail.value}</dd>
                        </div>
                      ))}
                    </dl>
                  ) : null}
                </li>
              );
            })}
          </ol>
        )}
      </PagedTable>
    </section>
  );
}
