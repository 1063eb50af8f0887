/**
 * The customer's negotiated prices (PUT/GET/DELETE /api/v1/admin/customers/:id/prices): what it pays
 * instead of the catalog price per plan and interval, set and removed here. Amounts are entered in
 * minor units, as the API takes them, and shown formatted beside the input.
 */
import { type FormEvent, useState } from 'react';
import { formatDateTime, formatMoney } from '../../lib/format';
import { EmptyState, errorText } from '../../lib/ui';
import { useAction } from '../../lib/use-action';
import { useResource } from '../../lib/use-resource';
import { useApi } from '../admin-session';
import { usePlanName, usePlans } from '../plan-names';

interface ContractPrice {
  id: string;
  plan: string;
  interval: 'month' | 'year';
  amount: number;
  currency: string;
  reason: string | null;
  created_by: string;
  created_at: string;
}

export function ContractPrices(props: { customerId: string; onChanged: (message: string) => void }) {
  const api = useApi();
  const planName = usePlanName();
  const paidPlans = (usePlans() ?? []).filter(
    (plan) => (plan.prices.month ?? 0) + (plan.prices.year ?? 0) > 0,
  );
  const path = `/api/v1/admin/customers/${encodeURIComponent(props.customerId)}/prices`;
  const prices = useResource(
    (signal) => api.get<{ data: ContractPrice[] }>(path, undefined, signal),
    [api, path],
  );
  const [plan, setPlan] = useState('');
  const [interval, setBillingInterval] = useState<'month' | 'year'>('month');
  const [amount, setAmount] = useState('');
  const [reason, setReason] = useState('');
  const action = useAction();
  const chosenPlan = plan || paidPlans[0]?.id || '';
  const currency = paidPlans[0]?.currency ?? 'usd';
  const minor = /^\d{1,15}$/.test(amount) ? Number(amount) : null;

  function run(change: () => Promise<unknown>, message: string) {
    return action.run(async () => {
      await change();
      prices.reload();
      props.onChanged(message);
    });
  }

  function save(event: FormEvent) {
    event.preventDefault();
    if (minor === null) {
      action.fail('Enter the amount as a whole number of minor units (200000 is 2,000.00).');
      return;
    }
    void run(
      () =>
        api.put(path, {
          plan: chosenPlan,
          interval,
          amount: minor,
          ...(reason.trim() === '' ? {} : { reason: reason.trim() }),
        }),
      `${planName(chosenPlan)} (${interval}ly) now costs this customer ${formatMoney(minor, currency)}.`,
    );
  }

  const rows = prices.data?.data ?? [];
  return (
    <section
      className="tg-card tg-stack"
      aria-labelledby="contract-prices-heading"
      data-testid="contract-prices"
    >
      <h2 id="contract-prices-heading">Contract prices</h2>
      {prices.state === 'error' ? <p className="tg-error-text">{errorText(prices.error)}</p> : null}
      {prices.data && rows.length === 0 ? (
        <EmptyState>This customer pays the catalog prices.</EmptyState>
      ) : null}
      {rows.length > 0 ? (
        <table className="tg-table tg-table-stack">
          <caption className="tg-visually-hidden">Contract prices</caption>
          <thead>
            <tr>
              <th scope="col">Plan</th>
              <th scope="col">Interval</th>
              <th scope="col">Price</th>
              <th scope="col">Set</th>
              <th scope="col">
                <span className="tg-visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((price) => (
              <tr
                key={price.id}
                data-testid="contract-price-row"
                data-plan={price.plan}
                data-interval={price.interval}
              >
                <td data-label="Plan">{planName(price.plan)}</td>
                <td data-label="Interval">{price.interval === 'month' ? 'Monthly' : 'Yearly'}</td>
                <td data-label="Price">{formatMoney(price.amount, price.currency)}</td>
                <td data-label="Set">
                  {formatDateTime(price.created_at)} by {price.created_by}
                  {price.reason ? ` (${price.reason})` : ''}
                </td>
                <td>
                  <button
                    type="button"
                    className="tg-button"
                    data-variant="danger"
                    disabled={action.busy}
                    data-testid="remove-contract-price"
                    aria-label={`Remove the contract price of ${planName(price.plan)} (${price.interval}ly)`}
                    onClick={() =>
                      void run(
                        () => api.delete(`${path}/${encodeURIComponent(price.plan)}/${price.interval}`),
                        `${planName(price.plan)} (${price.interval}ly) is back to the catalog price.`,
                      )
                    }
                  >
                    Remove
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <form className="tg-row tg-align-end" onSubmit={save}>
        <div className="tg-field">
          <label htmlFor="contract-plan">Plan</label>
          <select
            id="contract-plan"
            className="tg-input"
            value={chosenPlan}
            onChange={(event) => setPlan(event.target.value)}
            data-testid="contract-plan"
          >
            {paidPlans.map((option) => (
              <option key={option.id} value={option.id}>
                {option.name}
              </option>
            ))}
          </select>
        </div>
        <div className="tg-field">
          <label htmlFor="contract-interval">Interval</label>
          <select
            id="contract-interval"
            className="tg-input"
            value={interval}
            onChange={(event) => setBillingInterval(event.target.value === 'year' ? 'year' : 'month')}
            data-testid="contract-interval"
          >
            <option value="month">Monthly</option>
            <option value="year">Yearly</option>
          </select>
        </div>
        <div className="tg-field">
          <label htmlFor="contract-amount">Amount (minor units)</label>
          <input
            id="contract-amount"
            className="tg-input"
            inputMode="numeric"
            value={amount}
            onChange={(event) => setAmount(event.target.value.trim())}
            aria-describedby="contract-amount-shown"
            data-testid="contract-amount"
          />
          <span id="contract-amount-shown" className="tg-small tg-muted">
            {minor === null ? '' : formatMoney(minor, currency)}
          </span>
        </div>
        <div className="tg-field">
          <label htmlFor="contract-reason">Reason (optional)</label>
          <input
            id="contract-reason"
            className="tg-input"
            maxLength={500}
            value={reason}
            onChange={(event) => setReason(event.target.value)}
            data-testid="contract-reason"
          />
        </div>
        <button
          type="submit"
          className="tg-button"
          disabled={action.busy || chosenPlan === ''}
          data-testid="set-contract-price"
        >
          {action.busy ? 'Saving…' : 'Set price'}
        </button>
      </form>
      <div role="alert">{action.error ? <p className="tg-error-text">{action.error}</p> : null}</div>
    </section>
  );
}
