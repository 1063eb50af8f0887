/** Subscriptions by tier: the counts as a table, each with a bar relative to the largest tier. */
import { formatCount } from '../../lib/format';
import { EmptyState } from '../../lib/ui';
import { usePlanName } from '../plan-names';

export function TierTable(props: { byTier: Record<string, number> }) {
  const planName = usePlanName();
  const rows = Object.entries(props.byTier).sort(([, a], [, b]) => b - a);
  const max = Math.max(1, ...rows.map(([, count]) => count));
  return (
    <section className="tg-card tg-stack" aria-labelledby="tiers-heading" data-testid="revenue-tiers">
      <h2 id="tiers-heading">Subscriptions by tier</h2>
      {rows.length === 0 ? (
        <EmptyState>No subscriptions yet.</EmptyState>
      ) : (
        <table className="tg-table">
          <caption className="tg-visually-hidden">Subscriptions by tier</caption>
          <thead>
            <tr>
              <th scope="col">Tier</th>
              <th scope="col" className="tg-num">
                Subscriptions
              </th>
              <td className="tg-tier-bar-cell" />
            </tr>
          </thead>
          <tbody>
            {rows.map(([tier, count]) => (
              <tr key={tier} data-testid="tier-row" data-tier={tier}>
                <td>{planName(tier)}</td>
                <td className="tg-num">{formatCount(count)}</td>
                <td aria-hidden="true" className="tg-tier-bar-cell">
                  <div className="tg-tier-bar" style={{ width: `${Math.round((count * 100) / max)}%` }} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
