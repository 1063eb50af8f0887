/**
 * The customer's invoices, newest first, with Stripe's hosted page and PDF. An open invoice while a
 * payment has failed gets a prominent "Pay now": paying it is how access comes back.
 */
import { formatDate, formatMoney } from '../lib/format';
import { EmptyState, Loaded, StatusBadge } from '../lib/ui';
import type { Resource } from '../lib/use-resource';
import { type AccountStatus, type Invoice, safeUrl } from './billing-api';

export function InvoicesSection(props: {
  invoices: Resource<{ invoices: Invoice[] }>;
  status: AccountStatus | undefined;
}) {
  const urgent = props.status === 'past_due' || props.status === 'suspended';
  return (
    <section className="tg-card tg-stack" aria-labelledby="invoices-heading" data-testid="invoices">
      <h2 id="invoices-heading">Invoices</h2>
      <Loaded resource={props.invoices} height={120} label="invoices">
        {({ invoices }) =>
          invoices.length === 0 ? (
            <EmptyState>No invoices yet. They appear here once a paid plan bills you.</EmptyState>
          ) : (
            <div className="tg-table-wrap">
              <table className="tg-table tg-table-stack" data-testid="invoices-table">
                <caption className="tg-visually-hidden">Invoices, newest first</caption>
                <thead>
                  <tr>
                    <th scope="col">Date</th>
                    <th scope="col">Invoice</th>
                    <th scope="col" className="tg-num">
                      Amount
                    </th>
                    <th scope="col">Status</th>
                    <th scope="col">Links</th>
                  </tr>
                </thead>
                <tbody>
                  {invoices.map((invoice) => (
                    <InvoiceRow key={invoice.id} invoice={invoice} urgent={urgent} />
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Loaded>
    </section>
  );
}

const newTab = { target: '_blank', rel: 'noopener noreferrer' } as const;

function InvoiceRow(props: { invoice: Invoice; urgent: boolean }) {
  const { invoice, urgent } = props;
  const name = invoice.number ?? invoice.id;
  const hosted = safeUrl(invoice.hosted_invoice_url);
  const pdf = safeUrl(invoice.invoice_pdf);
  const status = invoice.status ?? 'unknown';
  const payable = status === 'open' && hosted !== null;
  return (
    <tr data-testid="invoice-row" data-status={status}>
      <td data-label="Date">{formatDate(invoice.created)}</td>
      <td data-label="Invoice" className="tg-break">
        {name}
      </td>
      <td data-label="Amount" className="tg-num" data-testid="invoice-amount">
        {formatMoney(invoice.total, invoice.currency)}
      </td>
      <td data-label="Status">
        <StatusBadge status={status} />
      </td>
      <td data-label="Links">
        <span className="tg-row">
          {payable ? (
            <a
              href={hosted}
              {...newTab}
              className={urgent ? 'tg-button tg-link-button' : undefined}
              data-testid="pay-now"
            >
              Pay now<span className="tg-visually-hidden"> invoice {name} (opens in a new tab)</span>
            </a>
          ) : null}
          {hosted ? (
            <a href={hosted} {...newTab} data-testid="invoice-view">
              View<span className="tg-visually-hidden"> invoice {name} (opens in a new tab)</span>
            </a>
          ) : null}
          {pdf ? (
            <a href={pdf} {...newTab} data-testid="invoice-pdf">
              PDF<span className="tg-visually-hidden"> of invoice {name} (opens in a new tab)</span>
            </a>
          ) : null}
        </span>
      </td>
    </tr>
  );
}
