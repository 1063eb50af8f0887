/**
 * The hosted invoice page (`hosted_invoice_url`, with a Pay form) and the invoice PDF (`invoice_pdf`),
 * a real PDF drawn with pdf-lib. pdf-lib is an optional peer dependency, imported on the first PDF, so
 * an emulator that never draws one does not need its 24 MB.
 */
import { payInvoice } from '../billing/invoicing.js';
import type { Engine } from '../engine.js';
import { StripeApiError } from '../errors.js';
import { customerPaymentMethod } from '../payments.js';
import type { PageHandler, Router } from '../router.js';
import type { Invoice } from '../types.js';
import { cardPicker, escapeHtml, formatDate, formatMoney, notFound, page, redirect } from './html.js';

export function registerInvoicePages(pages: Router<PageHandler>): void {
  pages
    .add('GET', '/i/:id', (engine, request) => {
      const invoice = engine.get('invoice', request.pathParams.id!);
      if (invoice === undefined || invoice.status === 'draft')
        return notFound('This invoice does not exist.');
      return renderInvoice(invoice, request.query.get('error') ?? undefined);
    })
    .add('POST', '/i/:id/pay', (engine, request) => {
      const invoice = engine.get('invoice', request.pathParams.id!);
      if (invoice === undefined) return notFound('This invoice does not exist.');
      try {
        const pm = customerPaymentMethod(
          engine,
          String(invoice.customer),
          request.form.string('card') ?? 'pm_card_visa',
          'payment_method',
        );
        const error = payInvoice(engine, invoice, { paymentMethod: pm.id, automatic: false });
        if (error) return redirect(`/i/${invoice.id}?error=${encodeURIComponent(error.body.message)}`);
      } catch (error) {
        if (error instanceof StripeApiError)
          return redirect(`/i/${invoice.id}?error=${encodeURIComponent(error.body.message)}`);
        throw error;
      }
      return redirect(`/i/${invoice.id}`);
    })
    .add('GET', '/i/:id/pdf', async (engine, request) => {
      const invoice = engine.get('invoice', request.pathParams.id!);
      if (invoice === undefined || invoice.status === 'draft')
        return notFound('This invoice does not exist.');
      return {
        status: 200,
        headers: {
          'content-type': 'application/pdf',
          'content-disposition': `inline; filename="${invoice.number ?? invoice.id}.pdf"`,
        },
        body: await renderInvoicePdf(engine, invoice),
      };
    });
}

function renderInvoice(invoice: Invoice, error: string | undefined) {
  const lines = invoice.lines.data
    .map(
      (line) =>
        `<tr><td>${escapeHtml(line.description)}</td><td>${line.quantity ?? ''}</td><td>${formatMoney(line.amount, line.currency)}</td></tr>`,
    )
    .join('');
  const payable = invoice.status === 'open' || invoice.status === 'uncollectible';
  const body = `
<h1>Invoice ${escapeHtml(invoice.number ?? invoice.id)}</h1>
${error ? `<p class="error" data-testid="error">${escapeHtml(error)}</p>` : ''}
<p>Status: <strong data-testid="invoice-status">${escapeHtml(invoice.status)}</strong> · Issued ${formatDate(invoice.effective_at ?? invoice.created)}</p>
<table><thead><tr><th>Description</th><th>Qty</th><th>Amount</th></tr></thead><tbody>${lines}</tbody></table>
${amountsTable(invoice)}
${payable ? `<form method="post" action="/i/${invoice.id}/pay"><fieldset><legend>Pay with a test card</legend>${cardPicker()}</fieldset><button type="submit" data-testid="pay">Pay ${formatMoney(invoice.amount_remaining, invoice.currency)}</button></form>` : ''}
<p><a href="/i/${invoice.id}/pdf" data-testid="pdf">Download PDF</a></p>`;
  return page(`Invoice ${invoice.number ?? invoice.id}`, body);
}

/**
 * The amounts as Stripe's hosted invoice lists them: the total and amount due, what was paid once
 * anything was, and what remains while a payment is partial.
 */
export function invoiceAmounts(
  invoice: Pick<Invoice, 'total' | 'amount_due' | 'amount_paid' | 'amount_remaining' | 'status'>,
): Array<{ label: string; testId: string; amount: number }> {
  const rows = [
    { label: 'Total', testId: 'total', amount: invoice.total },
    { label: 'Amount due', testId: 'amount-due', amount: invoice.amount_due },
  ];
  if (invoice.amount_paid > 0 || invoice.status === 'paid')
    rows.push({ label: 'Amount paid', testId: 'amount-paid', amount: invoice.amount_paid });
  if (invoice.amount_paid > 0 && invoice.amount_remaining > 0)
    rows.push({ label: 'Amount remaining', testId: 'amount-remaining', amount: invoice.amount_remaining });
  return rows;
}

function amountsTable(invoice: Invoice): string {
  const rows = invoiceAmounts(invoice)
    .map(
      (row) =>
        `<tr><th scope="row">${row.label}</th><td data-testid="${row.testId}">${formatMoney(row.amount, invoice.currency)}</td></tr>`,
    )
    .join('');
  return `<table class="amounts" aria-label="Amounts"><tbody>${rows}</tbody></table>`;
}

async function loadPdfLib(): Promise<typeof import('pdf-lib')> {
  try {
    return await import('pdf-lib');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    throw new Error("invoice PDFs need the package 'pdf-lib', which is not installed: npm install pdf-lib");
  }
}

export async function renderInvoicePdf(engine: Engine, invoice: Invoice): Promise<Uint8Array> {
  const { PDFDocument, rgb, StandardFonts } = await loadPdfLib();
  const pdf = await PDFDocument.create();
  pdf.setTitle(`Invoice ${invoice.number ?? invoice.id}`);
  pdf.setProducer('Tollgate Stripe emulator');
  const pageObject = pdf.addPage([595, 842]);
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  const bold = await pdf.embedFont(StandardFonts.HelveticaBold);
  let y = 790;
  const text = (value: string, x: number, size = 11, useBold = false) =>
    pageObject.drawText(value.replace(/[^\x20-\x7e]/g, '?'), {
      x,
      y,
      size,
      font: useBold ? bold : font,
      color: rgb(0.1, 0.12, 0.21),
    });
  text(`Invoice ${invoice.number ?? invoice.id}`, 50, 20, true);
  y -= 30;
  const customer =
    typeof invoice.customer === 'string' ? engine.get('customer', invoice.customer) : undefined;
  text(
    `Billed to: ${customer?.name ?? customer?.email ?? invoice.customer_email ?? String(invoice.customer)}`,
    50,
  );
  y -= 16;
  text(`Date: ${formatDate(invoice.effective_at ?? invoice.created)}   Status: ${invoice.status}`, 50);
  y -= 30;
  text('Description', 50, 11, true);
  text('Qty', 380, 11, true);
  text('Amount', 450, 11, true);
  for (const line of invoice.lines.data) {
    y -= 18;
    text((line.description ?? '').slice(0, 60), 50, 10);
    text(String(line.quantity ?? ''), 380, 10);
    text(formatMoney(line.amount, line.currency), 450, 10);
  }
  y -= 30;
  for (const row of invoiceAmounts(invoice)) {
    text(`${row.label}: ${formatMoney(row.amount, invoice.currency)}`, 330, 12, true);
    y -= 16;
  }
  y -= 40;
  text('Test mode document generated by a local Stripe emulator. Not a real invoice.', 50, 8);
  return pdf.save();
}
