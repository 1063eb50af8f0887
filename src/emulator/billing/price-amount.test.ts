import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { startEmulator } from '../index.js';
import { priceAmount, wholeUnitAmount } from './price-amount.js';

describe('price amounts', () => {
  it('multiplies decimal prices exactly and rounds half up to a minor unit', () => {
    expect(priceAmount({ unit_amount: null, unit_amount_decimal: '0.00001' }, 7_300_000)).toBe(73);
    expect(priceAmount({ unit_amount: null, unit_amount_decimal: '0.5' }, 3)).toBe(2);
    expect(priceAmount({ unit_amount: null, unit_amount_decimal: '0.5' }, 1)).toBe(1);
    expect(priceAmount({ unit_amount: null, unit_amount_decimal: '0.4' }, 1)).toBe(0);
    expect(priceAmount({ unit_amount: 2900, unit_amount_decimal: '2900' }, 2)).toBe(5800);
    expect(priceAmount({ unit_amount: 1500, unit_amount_decimal: null }, 2)).toBe(3000);
  });

  it('reports unit_amount only for whole decimals', () => {
    expect(wholeUnitAmount('12')).toBe(12);
    expect(wholeUnitAmount('12.000')).toBe(12);
    expect(wholeUnitAmount('0.01')).toBeNull();
  });

  it('keeps a decimal price through the SDK and bills it exactly on an invoice item', async () => {
    const emulator = await startEmulator();
    try {
      const stripe = new Stripe(emulator.secretKey, emulator.stripeConfig());
      const product = await stripe.products.create({ name: 'Overage' });
      const price = await stripe.prices.create({
        product: product.id,
        currency: 'usd',
        unit_amount_decimal: Stripe.Decimal.from('0.01'),
      });
      expect(price.unit_amount).toBeNull();
      expect(String(price.unit_amount_decimal)).toBe('0.01');
      const customer = await stripe.customers.create({});
      const item = await stripe.invoiceItems.create({
        customer: customer.id,
        pricing: { price: price.id },
        quantity: 12_345,
      });
      // 12,345 x 0.01 cent = 123.45 cents -> 123.
      expect(item.amount).toBe(123);
      await expect(
        stripe.prices.create({
          product: product.id,
          currency: 'usd',
          unit_amount_decimal: Stripe.Decimal.from('0.0000000000001'),
        }),
      ).rejects.toMatchObject({ type: 'StripeInvalidRequestError', param: 'unit_amount_decimal' });
    } finally {
      await emulator.close();
    }
  });
});
