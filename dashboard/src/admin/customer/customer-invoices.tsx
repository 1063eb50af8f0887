/** The customer's invoices, newest first, from the admin invoice list filtered by customer. */
import { usePagedList } from '../../lib/use-paged-list';
import { useApi } from '../admin-session';
import type { Invoice, ListPage } from '../admin-types';
import { InvoicesTable, invoicePageQuery } from '../invoices-table';
import { PagedTable } from '../paged-list-parts';

export function CustomerInvoices(props: { customerId: string }) {
  const api = useApi();
  const list = usePagedList<Invoice, string>(
    async (cursor, signal) => {
      const page = await api.get<ListPage<Invoice>>(
        '/api/v1/admin/invoices',
        invoicePageQuery(cursor, { customer_id: props.customerId }),
        signal,
      );
      return { items: page.data, next: page.has_more ? (page.data.at(-1)?.id ?? null) : null };
    },
    [api, props.customerId],
  );
  return (
    <section className="tg-card tg-stack" aria-labelledby="invoices-heading" data-testid="customer-invoices">
      <h2 id="invoices-heading">Invoices</h2>
      <PagedTable
        list={list}
        noun={['invoice', 'invoices']}
        empty="No invoices for this customer."
        height={160}
      >
        {(invoices) => (
          <InvoicesTable invoices={invoices} showCustomer={false} caption="Invoices of this customer" />
        )}
      </PagedTable>
    </section>
  );
}
