/** Invoice rows, for the invoices view (with a customer column) and the customer page (without). */
import { Link } from 'wouter';
import { formatDate, formatMoney, formatPeriod } from '../lib/format';
import { StatusBadge } from '../lib/ui';
import type { Invoice } from './admin-types';
import { IdText } from './id-text';

export function InvoicesTable(props: { invoices: Invoice[]; showCustomer: boolean; caption: string }) {
  return (
    <div className="tg-table-wrap">
      <table className="tg-table tg-table-stack" data-testid="invoices-table">
        <caption className="tg-visually-hidden">{props.caption}</caption>
        <thead>
          <tr>
            <th scope="col">Invoice</th>
            {props.showCustomer ? <th scope="col">Customer</th> : null}
            <th scope="col">Status</th>
            <th scope="col" className="tg-num">
              Amount due
            </th>
            <th scope="col" className="tg-num">
              Paid
            </th>
            <th scope="col">Period</th>
            <th scope="col">Created</th>
            <th scope="col">Documents</th>
          </tr>
        </thead>
        <tbody>
          {props.invoices.map((invoice) => (
            <tr key={invoice.id} data-testid="invoice-row">
              <td data-label="Invoice">
                <IdText value={invoice.id} />
              </td>
              {props.showCustomer ? (
                <td data-label="Customer">
                  {invoice.customer_id ? (
                    <Link
                      href={`/customers/${encodeURIComponent(invoice.customer_id)}`}
                      className="tg-id-link"
                    >
                      <IdText value={invoice.customer_id} />
                    </Link>
                  ) : (
                    <span title="Stripe customer not linked to a Tollgate customer">
                      <IdText value={invoice.stripe_customer_id} muted />
                    </span>
                  )}
                </td>
              ) : null}
              <td data-label="Status">
                <StatusBadge status={invoice.status} />
              </td>
              <td data-label="Amount due" className="tg-num">
                {formatMoney(invoice.amount_due, invoice.currency)}
              </td>
              <td data-label="Paid" className="tg-num">
                {formatMoney(invoice.amount_paid, invoice.currency)}
              </td>
              <td data-label="Period">{formatPeriod(invoice.period_start, invoice.period_end)}</td>
              <td data-label="Created">{formatDate(invoice.created)}</td>
              <td data-label="Documents">
                <span className="tg-row">
                  {invoice.hosted_invoice_url ? (
                    <a href={invoice.hosted_invoice_url} target="_blank" rel="noopener noreferrer">
                      Invoice<span className="tg-visually-hidden"> {invoice.id} (opens in a new tab)</span>
                    </a>
                  ) : null}
                  {invoice.invoice_pdf ? (
                    <a href={invoice.invoice_pdf} target="_blank" rel="noopener noreferrer">
                      PDF<span className="tg-visually-hidden"> of {invoice.id} (opens in a new tab)</span>
                    </a>
                  ) : null}
                  {!invoice.hosted_invoice_url && !invoice.invoice_pdf ? '—' : null}
                </span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The invoice list's fetch: one page after `cursor` (the last invoice id), newest first. */
export function invoicePageQuery(cursor: string | null, filters: { customer_id?: string; status?: string }) {
  return { limit: 25, starting_after: cursor, ...filters };
}
