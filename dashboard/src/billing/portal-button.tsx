/**
 * "Manage payment details in Stripe": asks for a Stripe customer portal session that returns to this
 * page, then leaves for it. Cards are never entered on this page.
 */
import type { ApiClient } from '../lib/api';
import { ActionStatus, useAction } from './use-action';

export function billingPageUrl(query = ''): string {
  return `${window.location.origin}/billing${query}`;
}

export function PortalButton(props: { client: ApiClient; testId: string; label?: string }) {
  const action = useAction();
  const open = () =>
    action.run(async () => {
      const { url } = await props.client.post<{ url: string }>('/api/v1/billing/portal', {
        return_url: billingPageUrl(),
      });
      window.location.assign(url);
      return 'Opening Stripe…';
    });
  return (
    <div className="tg-stack tg-tight">
      <div>
        <button
          type="button"
          className="tg-button"
          data-variant="secondary"
          onClick={open}
          disabled={action.busy}
          data-testid={props.testId}
        >
          {props.label ?? 'Manage payment details in Stripe'}
        </button>
      </div>
      <ActionStatus action={action} testId={`${props.testId}-status`} />
    </div>
  );
}
