import { describe, expect, it } from 'vitest';
import { invoiceAmounts } from './invoice-page.js';

const labels = (invoice: Parameters<typeof invoiceAmounts>[0]) =>
  invoiceAmounts(invoice).map((row) => `${row.label}: ${row.amount}`);

describe('hosted invoice amounts', () => {
  it('lists the total and amount due of an open invoice, nothing paid yet', () => {
    expect(
      labels({ status: 'open', total: 47000, amount_due: 47000, amount_paid: 0, amount_remaining: 47000 }),
    ).toEqual(['Total: 47000', 'Amount due: 47000']);
  });

  it('adds what was paid once the invoice is paid', () => {
    expect(
      labels({ status: 'paid', total: 47000, amount_due: 47000, amount_paid: 47000, amount_remaining: 0 }),
    ).toEqual(['Total: 47000', 'Amount due: 47000', 'Amount paid: 47000']);
  });

  it('adds what remains while a payment is partial', () => {
    expect(
      labels({
        status: 'open',
        total: 47000,
        amount_due: 47000,
        amount_paid: 20000,
        amount_remaining: 27000,
      }),
    ).toEqual(['Total: 47000', 'Amount due: 47000', 'Amount paid: 20000', 'Amount remaining: 27000']);
  });
});
