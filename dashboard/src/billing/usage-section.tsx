/**
 * Usage against each limit of the plan, as progress bars that move while the customer's app makes
 * calls (usage is polled; a reload keeps the bars in place), and credits per day over the period: the
 * chart shows the bars' period only (while its history of another period reloads, a placeholder of
 * its size), and a period without usage yet is one line, not an empty chart.
 * Credits arrive as numbers: bars compare them as integer milli-credits. Each limited operation window
 * (videos today, tokens this period) gets a bar after the plan's own limits, with its reset time.
 */
import { formatBytes, formatCount, formatCredits, formatDate, percentOf, toMilli } from '../lib/format';
import { operationMeters } from '../lib/operation-limits';
import { BarChart, type ChartPoint, EmptyState, Loaded, Meter, Skeleton } from '../lib/ui';
import { contractMeterIds } from '../lib/usage-types';
import type { Resource } from '../lib/use-resource';
import type { Usage, UsageHistory } from './billing-api';
import { GrantLines } from './grant-lines';

const dayMs = 86_400_000;

export function UsageSection(props: { usage: Resource<Usage>; history: Resource<UsageHistory> }) {
  return (
    <section className="tg-card tg-stack" aria-labelledby="usage-heading" data-testid="usage">
      <h2 id="usage-heading">Usage this period</h2>
      <Loaded resource={props.usage} height={268} label="usage">
        {(usage) => <Meters usage={usage} />}
      </Loaded>
      <h3 id="usage-history-heading">Credits per day</h3>
      <Loaded resource={props.history} height={228} label="usage history">
        {(history) =>
          props.usage.data !== undefined && props.usage.data.period_start !== history.period_start ? (
            <Skeleton height={228} label="Loading usage history" />
          ) : (
            <UsageChart history={history} />
          )
        }
      </Loaded>
    </section>
  );
}

interface MeterFigure {
  id: string;
  label: string;
  used: number;
  limit: number | null;
  detail: string;
  /** Set by operation windows, already worked out from their counts. */
  percent?: number | null;
}

/** "3 of 100 requests", or "3 requests" without a limit. */
function usedOf(used: string, limit: string | null, unit: string): string {
  return limit === null ? `${used} ${unit}` : `${used} of ${limit} ${unit}`;
}

function countFigure(
  id: string,
  label: string,
  used: number,
  limit: number | null,
  unit: string,
): MeterFigure {
  return {
    id,
    label,
    used,
    limit,
    detail: usedOf(formatCount(used), limit === null ? null : formatCount(limit), unit),
  };
}

/** Each limit of the plan with what is used of it; credits in milli-credits, so bars compare integers. */
function meterFigures(usage: Usage): MeterFigure[] {
  const { monthly_limit: creditLimit, storage_bytes: bytes, storage_bytes_limit: bytesLimit } = usage;
  return [
    {
      id: 'credits',
      label: 'Credits',
      used: toMilli(usage.credits_used),
      limit: creditLimit === null ? null : toMilli(creditLimit),
      detail: usedOf(
        formatCredits(usage.credits_used),
        creditLimit === null ? null : formatCredits(creditLimit),
        'credits',
      ),
    },
    countFigure(
      'requests-day',
      'Requests today',
      usage.requests_today ?? 0,
      usage.requests_per_day_limit,
      'requests',
    ),
    countFigure(
      'requests-minute',
      'Requests this minute',
      usage.requests_this_minute ?? 0,
      usage.requests_per_minute_limit,
      'requests',
    ),
    {
      id: 'storage-bytes',
      label: 'Storage',
      used: bytes,
      limit: bytesLimit,
      detail:
        bytesLimit === null ? formatBytes(bytes) : `${formatBytes(bytes)} of ${formatBytes(bytesLimit)}`,
    },
    countFigure('storage-items', 'Stored items', usage.storage_items, usage.storage_items_limit, 'items'),
    ...operationMeters(usage.operations),
  ];
}

function Meters(props: { usage: Usage }) {
  const { usage } = props;
  const contract = contractMeterIds(usage.contract);
  return (
    <div className="tg-stack">
      <p className="tg-small tg-muted" data-testid="usage-period">
        {formatDate(usage.period_start)} – {formatDate(usage.period_end)}
      </p>
      <div className="tg-meter-grid">
        {meterFigures(usage).map((figure) => (
          <Meter
            key={figure.id}
            id={figure.id}
            label={figure.label}
            percent={figure.percent ?? percentOf(figure.used, figure.limit)}
            detail={figure.detail}
            contract={contract.has(figure.id)}
          />
        ))}
      </div>
      <GrantLines grants={usage.grants} />
      {usage.quota_exceeded ? (
        <p className="tg-inline-error" data-testid="quota-exceeded">
          The credits of this period are used up
          {usage.overage_used > 0 ? `; ${formatCredits(usage.overage_used)} credits of overage so far` : ''}.
          Upgrade below for more.
        </p>
      ) : usage.overage_used > 0 ? (
        <p className="tg-small" data-testid="overage">
          Overage this period: {formatCredits(usage.overage_used)} credits.
        </p>
      ) : null}
    </div>
  );
}

/** One bar per day of the period, days without usage as zero. */
export function dailyPoints(history: UsageHistory): ChartPoint[] {
  const start = Date.parse(history.period_start);
  const end = Date.parse(history.period_end);
  const days = Math.min(400, Math.max(0, Math.ceil((end - start) / dayMs)));
  // Buckets by their day index in the period, whichever way the API aligned them.
  const byDay = new Map<number, UsageHistory['data'][number]>();
  for (const bucket of history.data)
    byDay.set(Math.floor((Date.parse(bucket.start) - start) / dayMs), bucket);
  const points: ChartPoint[] = [];
  for (let index = 0; index < days; index += 1) {
    const bucket = byDay.get(index);
    const credits = bucket?.credits ?? 0;
    const date = new Date(start + index * dayMs);
    points.push({
      label: String(date.getUTCDate()),
      title: date.toLocaleDateString(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' }),
      value: toMilli(credits),
      display: `${formatCredits(credits)} credits${bucket ? `, ${formatCount(bucket.events)} calls` : ''}`,
    });
  }
  return points;
}

function UsageChart(props: { history: UsageHistory }) {
  const { history } = props;
  const empty = history.data.every((bucket) => bucket.credits === 0);
  const period = `${formatDate(history.period_start)} to ${formatDate(history.period_end)}`;
  if (empty)
    return (
      <div data-testid="usage-chart" data-empty="true" data-period-start={history.period_start}>
        <EmptyState>
          <span data-testid="usage-chart-empty">No usage yet from {period}.</span> Credits used per day appear
          here once your app makes calls.
        </EmptyState>
      </div>
    );
  return (
    <div data-testid="usage-chart" data-empty="false" data-period-start={history.period_start}>
      <BarChart
        points={dailyPoints(history)}
        caption={`Credits used per day, ${period}`}
        valueHeading="Credits"
      />
    </div>
  );
}
