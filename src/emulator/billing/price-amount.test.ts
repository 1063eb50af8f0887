import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { startEmulator } from '../index.js';
import { priceAmount, usagePriceUnit, wholeUnitAmount } from './price-amount.js';

describe('price amounts', () => {
  it('multiplies decimal prices exactly and rounds half up to a minor unit', () => {
    expect(priceAmount({ unit_amount: null, unit_amount_decimal: '0.00001' }, 7_300_000)).toBe(73);
    expect(priceAmount({ unit_amount: null, unit_amount_decimal: '0.5' }, 3)).toBe(2);
    expect(priceAmount({ unit_amount: null, unit_amount_decimal: '0.5' }, 1)).toBe(1);
    expect(priceAmount({ unit_amount: null, unit_amount_decimal: '0.4' }, 1)).toBe(0);
    expect(priceAmount({ unit_amount: 2900, unit_amount_decimal: '2900' }, 2)).toBe(5800);
    expect(priceAmount({ unit_amount: 1500, unit_amount_decimal: null }, 2)).toBe(3000);
  });

  it('divides the quantity by transform_quantity, rounding up or down', () => {
    const perThousand = { unit_amount: 10, unit_amount_decimal: '10' };
    expect(priceAmount({ ...perThousand, transform_quantity: { divide_by: 1000, round: 'up' } }, 1001)).toBe(
      20,
    );
    expect(priceAmount({ ...perThousand, transform_quantity: { divide_by: 1000, round: 'up' } }, 1000)).toBe(
      10,
    );
    expect(
      priceAmount({ ...perThousand, transform_quantity: { divide_by: 1000, round: 'down' } }, 1999),
    ).toBe(10);
    expect(priceAmount({ ...perThousand, transform_quantity: { divide_by: 1000, round: 'down' } }, 999)).toBe(
      0,
    );
  });

  it('states a usage price per the smallest round number of units that makes a whole minor unit', () => {
    expect(usagePriceUnit({ unit_amount: null, unit_amount_decimal: '0.00001' })).toEqual({
      amount: 10,
      per: 1_000_000,
    });
    expect(usagePriceUnit({ unit_amount: null, unit_amount_decimal: '0.01' })).toEqual({
      amount: 10,
      per: 1000,
    });
    expect(usagePriceUnit({ unit_amount: null, unit_amount_decimal: '0.5' })).toEqual({
      amount: 500,
      per: 1000,
    });
    expect(usagePriceUnit({ unit_amount: 25, unit_amount_decimal: '25' })).toEqual({ amount: 25, per: 1 });
    expect(usagePriceUnit({ unit_amount: 25, unit_amount_decimal: '25.000' })).toEqual({
      amount: 25,
      per: 1,
    });
    expect(
      usagePriceUnit({
        unit_amount: 10,
        unit_amount_decimal: '10',
        transform_quantity: { divide_by: 1000, round: 'up' },
      }),
    ).toEqual({ amount: 10, per: 1000 });
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
      const packaged = await stripe.prices.create({
        product: product.id,
        currency: 'usd',
        unit_amount: 10,
        transform_quantity: { divide_by: 1000, round: 'up' },
      });
      expect(packaged.transform_quantity).toEqual({ divide_by: 1000, round: 'up' });
      const packagedItem = await stripe.invoiceItems.create({
        customer: customer.id,
        pricing: { price: packaged.id },
        quantity: 2001,
      });
      expect(packagedItem.amount).toBe(30);
      await expect(
        stripe.prices.create({
          product: product.id,
          currency: 'usd',
          unit_amount: 10,
          transform_quantity: { divide_by: 0, round: 'up' },
        }),
      ).rejects.toMatchObject({ param: 'transform_quantity[divide_by]' });
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
