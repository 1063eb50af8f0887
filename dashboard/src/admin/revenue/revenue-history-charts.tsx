/** MRR per day and money collected per month, as bar charts (each with its numbers as a hidden table). */
import { formatDate, formatMoney } from '../../lib/format';
import { BarChart, EmptyState } from '../../lib/ui';
import type { RevenueHistory } from '../admin-types';

const monthTitle = (month: string) =>
  new Date(`${month}-01T00:00:00Z`).toLocaleDateString(undefined, {
    year: 'numeric',
    month: 'long',
    timeZone: 'UTC',
  });

export function RevenueHistoryCharts(props: { history: RevenueHistory }) {
  const { history } = props;
  const mrr = history.mrr.map((day) => ({
    label: day.date.slice(5),
    title: formatDate(`${day.date}T12:00:00Z`),
    value: day.mrr,
    display: formatMoney(day.mrr, history.currency),
  }));
  const collected = history.collected.map((month) => ({
    label: month.month,
    title: monthTitle(month.month),
    value: month.amount,
    display: formatMoney(month.amount, history.currency),
  }));
  return (
    <div className="tg-grid tg-charts">
      <section className="tg-card tg-stack" aria-labelledby="mrr-history-heading" data-testid="mrr-history">
        <h2 id="mrr-history-heading">MRR per day</h2>
        {mrr.length === 0 ? (
          <EmptyState>No history yet.</EmptyState>
        ) : (
          <BarChart points={mrr} caption={`MRR per day, last ${mrr.length} days`} valueHeading="MRR" />
        )}
      </section>
      <section
        className="tg-card tg-stack"
        aria-labelledby="collected-heading"
        data-testid="collected-history"
      >
        <h2 id="collected-heading">Collected per month</h2>
        {collected.length === 0 ? (
          <EmptyState>Nothing collected yet.</EmptyState>
        ) : (
          <BarChart points={collected} caption="Money collected per month" valueHeading="Collected" />
        )}
      </section>
    </div>
  );
}
