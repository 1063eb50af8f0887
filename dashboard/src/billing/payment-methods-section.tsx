/** The saved cards (brand, last four digits, expiry, which one invoices use) and the way to change them. */
import { EmptyState, Loaded } from '../lib/ui';
import type { Resource } from '../lib/use-resource';
import type { PaymentMethod } from './billing-api';
import type { BillingData } from './billing-app';
import { PortalButton } from './portal-button';

export function PaymentMethodsSection(props: {
  data: BillingData;
  paymentMethods: Resource<{ payment_methods: PaymentMethod[] }>;
}) {
  return (
    <section
      className="tg-card tg-stack"
      aria-labelledby="payment-methods-heading"
      data-testid="payment-methods"
    >
      <h2 id="payment-methods-heading">Payment methods</h2>
      <Loaded resource={props.paymentMethods} height={48} label="payment methods">
        {({ payment_methods: methods }) =>
          methods.length === 0 ? (
            <EmptyState>
              No card saved. Add one in Stripe below; paying for a plan also saves the card you pay with.
            </EmptyState>
          ) : (
            <ul className="tg-card-list">
              {methods.map((method) => (
                <li key={method.id} data-testid="payment-method" className="tg-spread">
                  <span>
                    <strong>{brandName(method.brand)}</strong> ending in{' '}
                    <span className="tg-num">{method.last4 ?? '····'}</span>
                    <span className="tg-muted tg-small"> · expires {expiry(method)}</span>
                  </span>
                  {method.default ? (
                    <span className="tg-badge" data-tone="ok" data-testid="default-marker">
                      Default
                    </span>
                  ) : null}
                </li>
              ))}
            </ul>
          )
        }
      </Loaded>
      <PortalButton data={props.data} testId="portal" />
    </section>
  );
}

function brandName(brand: string | null): string {
  if (brand === null || brand === '') return 'Card';
  const names: Record<string, string> = { amex: 'American Express', mastercard: 'Mastercard', visa: 'Visa' };
  return names[brand] ?? brand.charAt(0).toUpperCase() + brand.slice(1);
}

function expiry(method: PaymentMethod): string {
  if (method.exp_month === null || method.exp_year === null) return 'date unknown';
  return `${String(method.exp_month).padStart(2, '0')}/${method.exp_year}`;
}
