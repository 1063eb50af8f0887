/**
 * The invoice PDF is drawn with pdf-lib, an optional peer imported on the first PDF: a finalized
 * invoice's `invoice_pdf` link answers a real PDF.
 */
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../index.js';

let emulator: Emulator;
let stripe: Stripe;

beforeAll(async () => {
  emulator = await startEmulator();
  stripe = new Stripe(emulator.secretKey, emulator.stripeConfig());
});

afterAll(async () => {
  await emulator.close();
});

describe('invoice PDF', () => {
  it('answers a whole PDF for a finalized invoice', async () => {
    const customer = await stripe.customers.create({ email: 'pdf@example.com' });
    await stripe.invoiceItems.create({ customer: customer.id, amount: 1250, currency: 'usd' });
    const draft = await stripe.invoices.create({
      customer: customer.id,
      pending_invoice_items_behavior: 'include',
    });
    const invoice = await stripe.invoices.finalizeInvoice(draft.id!);
    expect(invoice.invoice_pdf).toMatch(/^http/);

    const response = await fetch(invoice.invoice_pdf!);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('application/pdf');
    const body = Buffer.from(await response.arrayBuffer());
    expect(body.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(body.toString('latin1')).toContain('%%EOF');
  });
});
