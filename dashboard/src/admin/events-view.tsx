/**
 * The Stripe webhook event log, newest first, filtered by status and type, with "Replay" per event:
 * the handler runs again and the row shows the status it ends in.
 */
import { type FormEvent, useEffect, useState } from 'react';
import { formatDateTime } from '../lib/format';
import { errorText, StatusBadge } from '../lib/ui';
import { usePagedList } from '../lib/use-paged-list';
import { ViewTitle } from './admin-layout';
import { useApi } from './admin-session';
import { type ListPage, type WebhookEvent, webhookStatuses } from './admin-types';
import { FilterSelect, statusOptions } from './filter-select';
import { IdText } from './id-text';
import { PagedTable } from './paged-list-parts';
import { useQueryParam } from './use-query-param';

type ReplayResult =
  | { state: 'busy' }
  | { state: 'done'; status: string }
  | { state: 'failed'; message: string };

export function EventsView() {
  const api = useApi();
  const [status, setStatus] = useQueryParam('status', webhookStatuses);
  const [type, setType] = useQueryParam('type');
  const [typeText, setTypeText] = useState(type);
  const [results, setResults] = useState<Record<string, ReplayResult>>({});
  useEffect(() => setTypeText(type), [type]);

  const list = usePagedList<WebhookEvent, string>(
    async (cursor, signal) => {
      const page = await api.get<ListPage<WebhookEvent>>(
        '/api/v1/admin/events',
        { limit: 25, starting_after: cursor, status, type },
        signal,
      );
      return { items: page.data, next: page.has_more ? (page.data.at(-1)?.id ?? null) : null };
    },
    [api, status, type],
  );

  async function replay(event: WebhookEvent) {
    setResults((current) => ({ ...current, [event.id]: { state: 'busy' } }));
    try {
      const after = await api.post<WebhookEvent>(
        `/api/v1/admin/events/${encodeURIComponent(event.id)}/replay`,
      );
      list.update((items) => items.map((item) => (item.id === after.id ? after : item)));
      setResults((current) => ({ ...current, [event.id]: { state: 'done', status: after.status } }));
    } catch (caught) {
      const message = caught instanceof Error ? errorText(caught) : String(caught);
      setResults((current) => ({ ...current, [event.id]: { state: 'failed', message } }));
    }
  }

  function applyType(event: FormEvent) {
    event.preventDefault();
    setType(typeText.trim());
  }

  return (
    <>
      <ViewTitle>Webhook events</ViewTitle>
      <form className="tg-filter-bar" onSubmit={applyType} aria-label="Filter webhook events">
        <FilterSelect
          id="event-status"
          label="Status"
          value={status}
          onChange={setStatus}
          allLabel="All statuses"
          options={statusOptions(webhookStatuses)}
          testId="event-status"
        />
        <div className="tg-field tg-filter-grow">
          <label htmlFor="event-type">Type</label>
          <input
            id="event-type"
            className="tg-input"
            placeholder="e.g. invoice.payment_failed"
            value={typeText}
            onChange={(event) => setTypeText(event.target.value)}
            data-testid="event-type"
          />
        </div>
        <button type="submit" className="tg-button" data-variant="secondary">
          Apply
        </button>
      </form>
      <section className="tg-card tg-stack" aria-label="Webhook event list" data-testid="events">
        <PagedTable list={list} noun={['event', 'events']} empty="No webhook events match.">
          {(events) => (
            <div className="tg-table-wrap">
              <table className="tg-table tg-table-stack" data-testid="events-table">
                <caption className="tg-visually-hidden">Webhook events</caption>
                <thead>
                  <tr>
                    <th scope="col">Event</th>
                    <th scope="col">Type</th>
                    <th scope="col">Created</th>
                    <th scope="col">Status</th>
                    <th scope="col" className="tg-num">
                      Attempts
                    </th>
                    <th scope="col">Last error</th>
                    <th scope="col">Replay</th>
                  </tr>
                </thead>
                <tbody>
                  {events.map((event) => {
                    const result = results[event.id];
                    return (
                      <tr key={event.id} data-testid="event-row" data-event-id={event.id}>
                        <td data-label="Event">
                          <IdText value={event.id} />
                        </td>
                        <td data-label="Type">
                          <IdText value={event.type} />
                        </td>
                        <td data-label="Created">{formatDateTime(event.created)}</td>
                        <td data-label="Status">
                          <StatusBadge status={event.status} />
                        </td>
                        <td data-label="Attempts" className="tg-num">
                          {event.attempts}
                        </td>
                        <td data-label="Last error" className="tg-wrap-anywhere">
                          {event.last_error ?? '—'}
                        </td>
                        <td>
                          <div className="tg-stack tg-tight">
                            <button
                              type="button"
                              className="tg-button"
                              data-variant="secondary"
                              onClick={() => replay(event)}
                              disabled={result?.state === 'busy'}
                              aria-label={`Replay ${event.type} ${event.id}`}
                              data-testid="replay-event"
                            >
                              {result?.state === 'busy' ? 'Replaying…' : 'Replay'}
                            </button>
                            <span role="status" className="tg-small" data-testid="replay-result">
                              {result?.state === 'done' ? `Replayed: ${result.status}` : null}
                              {result?.state === 'failed' ? (
                                <span className="tg-error-text">{result.message}</span>
                              ) : null}
                            </span>
                          </div>
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          )}
        </PagedTable>
      </section>
    </>
  );
}
