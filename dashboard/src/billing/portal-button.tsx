/**
 * "Manage payment details in Stripe": asks for a Stripe customer portal session that returns to this
 * page, then leaves for it. Cards are never entered on this page.
 */
import type { BillingData } from './billing-app';
import { goToStripe, stripeReturnUrl } from './stripe-navigation';
import { ActionStatus, useAction } from './use-action';

export function PortalButton(props: { data: BillingData; testId: string; label?: string }) {
  const action = useAction(`portal-${props.testId}`);
  const open = () =>
    action.run(async () => {
      const { url } = await props.data.client.post<{ url: string }>('/api/v1/billing/portal', {
        return_url: stripeReturnUrl(props.data.session),
      });
      goToStripe(props.data.session, url);
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
