/**
 * MRR per day and money collected per month, as bar charts (each with its numbers as a hidden table).
 * Every month of the window is a bar, a month with nothing collected included, with its amount written
 * under it so a zero reads as zero; labels use the pages' date style ("Dec 2", "Dec 2026").
 */
import { formatDate, formatDayLabel, formatMoney, formatMonth } from '../../lib/format';
import { BarChart, EmptyState } from '../../lib/ui';
import type { RevenueHistory } from '../admin-types';

export function RevenueHistoryCharts(props: { history: RevenueHistory }) {
  const { history } = props;
  const mrr = history.mrr.map((day) => ({
    label: formatDayLabel(day.date),
    title: formatDate(`${day.date}T12:00:00Z`),
    value: day.mrr,
    display: formatMoney(day.mrr, history.currency),
  }));
  const collected = history.collected.map((month) => ({
    label: formatMonth(month.month),
    title: formatMonth(month.month),
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
          <BarChart
            points={mrr}
            caption={mrr.length === 1 ? 'MRR today' : `MRR per day, last ${mrr.length} days`}
            valueHeading="MRR"
          />
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
          <BarChart
            points={collected}
            caption="Money collected per month"
            valueHeading="Collected"
            showValues
          />
        )}
      </section>
    </div>
  );
}
