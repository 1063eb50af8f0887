/**
 * Revenue: the current figures (MRR, ARPU, paying customers, churn, trial conversion), subscriptions
 * by tier, and MRR per day and money collected per month over 90 days. Money is integer minor units
 * throughout; rates arrive in basis points.
 */
import { useEffect, useState } from 'react';
import { formatBps, formatCount, formatDateTime, formatMoney, plural } from '../../lib/format';
import { Loaded } from '../../lib/ui';
import { useResource } from '../../lib/use-resource';
import { ViewTitle } from '../admin-layout';
import { useApi } from '../admin-session';
import type { Revenue, RevenueHistory } from '../admin-types';
import { RevenueHistoryCharts } from './revenue-history-charts';
import { TierTable } from './tier-table';

/** "last day", "last 30 days". */
function windowLabel(days: number): string {
  return days === 1 ? 'last day' : `last ${days} days`;
}

function Figure(props: { label: string; value: string; detail?: string; testId: string; raw: number }) {
  return (
    <div className="tg-card tg-figure" data-testid={props.testId} data-value={props.raw}>
      <div className="tg-small tg-muted">{props.label}</div>
      <div className="tg-figure-value tg-num">{props.value}</div>
      {props.detail ? <div className="tg-small tg-muted">{props.detail}</div> : null}
    </div>
  );
}

export function RevenueView() {
  const api = useApi();
  const [refreshes, setRefreshes] = useState(0);
  const revenue = useResource(
    (signal) => api.get<Revenue>('/api/v1/admin/revenue', undefined, signal),
    [api, refreshes],
  );
  const history = useResource(
    (signal) => api.get<RevenueHistory>('/api/v1/admin/revenue/history', { days: 90 }, signal),
    [api, refreshes],
  );
  const [updatedAt, setUpdatedAt] = useState<string | null>(null);
  useEffect(() => {
    if (revenue.data) setUpdatedAt(new Date().toISOString());
  }, [revenue.data]);

  return (
    <>
      <ViewTitle
        detail={
          <div className="tg-row">
            <span
              className="tg-small tg-muted"
              role="status"
              aria-live="polite"
              data-testid="revenue-updated"
            >
              {updatedAt ? `Updated at ${formatDateTime(updatedAt)}` : ''}
            </span>
            <button
              type="button"
              className="tg-button"
              data-variant="secondary"
              onClick={() => setRefreshes((n) => n + 1)}
              data-testid="revenue-refresh"
            >
              Refresh
            </button>
          </div>
        }
      >
        Revenue
      </ViewTitle>
      <Loaded resource={revenue} height={360} label="revenue">
        {(data) => (
          <>
            <div className="tg-grid tg-figures" data-testid="revenue-figures">
              <Figure
                testId="revenue-mrr"
                label="MRR"
                value={formatMoney(data.mrr, data.currency)}
                raw={data.mrr}
              />
              <Figure
                testId="revenue-arpu"
                label="ARPU"
                value={formatMoney(data.arpu, data.currency)}
                raw={data.arpu}
              />
              <Figure
                testId="revenue-paying"
                label="Paying customers"
                value={formatCount(data.paying_customers)}
                raw={data.paying_customers}
              />
              <Figure
                testId="revenue-churn"
                label={`Churn (${windowLabel(data.window_days)})`}
                value={data.churn.base === 0 ? '—' : formatBps(data.churn.rate_bps)}
                detail={
                  data.churn.base === 0
                    ? 'No paying customers yet'
                    : `${formatCount(data.churn.canceled)} canceled of ${formatCount(data.churn.base)}`
                }
                raw={data.churn.rate_bps}
              />
              <Figure
                testId="revenue-trial-conversion"
                label={`Trial conversion (${windowLabel(data.window_days)})`}
                value={data.trial_conversion.ended === 0 ? '—' : formatBps(data.trial_conversion.rate_bps)}
                detail={
                  data.trial_conversion.ended === 0
                    ? 'No trials ended yet'
                    : `${formatCount(data.trial_conversion.converted)} of ${plural(data.trial_conversion.ended, 'ended trial', 'ended trials')} converted`
                }
                raw={data.trial_conversion.rate_bps}
              />
            </div>
            <TierTable byTier={data.subscriptions_by_tier} />
          </>
        )}
      </Loaded>
      <Loaded resource={history} height={520} label="revenue history">
        {(data) => <RevenueHistoryCharts history={data} />}
      </Loaded>
    </>
  );
}
