/** All invoices, newest first, filtered by status, with links to the hosted invoice and its PDF. */
import { usePagedList } from '../lib/use-paged-list';
import { ViewTitle } from './admin-layout';
import { useApi } from './admin-session';
import { type Invoice, invoiceStatuses, type ListPage } from './admin-types';
import { FilterSelect, statusOptions } from './filter-select';
import { InvoicesTable, invoicePageQuery } from './invoices-table';
import { PagedTable } from './paged-list-parts';
import { useQueryParam } from './use-query-param';

export function InvoicesView() {
  const api = useApi();
  const [status, setStatus] = useQueryParam('status', invoiceStatuses);
  const list = usePagedList<Invoice, string>(
    async (cursor, signal) => {
      const page = await api.get<ListPage<Invoice>>(
        '/api/v1/admin/invoices',
        invoicePageQuery(cursor, status ? { status } : {}),
        signal,
      );
      return { items: page.data, next: page.has_more ? (page.data.at(-1)?.id ?? null) : null };
    },
    [api, status],
  );
  return (
    <>
      <ViewTitle>Invoices</ViewTitle>
      <div className="tg-filter-bar">
        <FilterSelect
          id="invoice-status"
          label="Status"
          value={status}
          onChange={setStatus}
          allLabel="All statuses"
          options={statusOptions(invoiceStatuses)}
          testId="invoice-status"
        />
      </div>
      <section className="tg-card tg-stack" aria-label="Invoice list" data-testid="invoices">
        <PagedTable
          list={list}
          noun={['invoice', 'invoices']}
          empty={status ? `No ${status} invoices.` : 'No invoices yet.'}
        >
          {(invoices) => <InvoicesTable invoices={invoices} showCustomer caption="Invoices" />}
        </PagedTable>
      </section>
    </>
  );
}
