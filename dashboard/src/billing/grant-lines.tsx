/**
 * The customer's one-off grants on the billing page, one line each: "Bonus credits: 50 of 100 left,
 * until Jan 31, 2026". A period grant's `expires_at` is the period's end (exclusive), so the last day
 * shown is the day before it.
 */
import { formatCount, formatCredits, formatDate } from '../lib/format';
import type { UsageGrant } from '../lib/usage-types';

/** "until Jan 31, 2026", "until used", or "until used, by Mar 31, 2026". */
function until(grant: UsageGrant): string {
  if (grant.expires_at === null) return 'until used';
  if (grant.expires === 'period')
    return `until ${formatDate(new Date(Date.parse(grant.expires_at) - 1).toISOString())}`;
  return `until used, by ${formatDate(grant.expires_at)}`;
}

export function grantLine(grant: UsageGrant): string {
  const credits = grant.operation === null;
  const figure = credits ? formatCredits : formatCount;
  const what = credits ? 'Bonus credits' : `Bonus ${grant.operation}`;
  return `${what}: ${figure(grant.remaining)} of ${figure(grant.amount)} left, ${until(grant)}`;
}

export function GrantLines(props: { grants: UsageGrant[] | undefined }) {
  const grants = props.grants ?? [];
  if (grants.length === 0) return null;
  return (
    <ul className="tg-small tg-stack" data-testid="grants" aria-label="Bonus credits and units">
      {grants.map((grant) => (
        <li key={grant.id} data-testid="grant-line">
          {grantLine(grant)}
        </li>
      ))}
    </ul>
  );
}
