/**
 * An audit entry in words: a sentence-case title per action, who did it, and its details as labelled
 * values (plans by name, "Pro → Enterprise", amounts with their currency, times as dates, ids whole)
 * instead of the API's camelCase keys.
 */
import type { ReactNode } from 'react';
import { formatDateTime, formatInterval, formatMoney } from '../../lib/format';
import { IdText } from '../id-text';
import { teamKeyAuditText } from './contract-teams';

/** Every title in sentence case: what happened, as an admin would say it. */
const actionLabels: Record<string, string> = {
  'customer.reactivated': 'Reactivated by hand',
  'customer.linked': 'Linked to a Stripe customer',
  'billing.status_changed': 'Billing status changed',
  'checkout.completed': 'Checkout completed',
  'subscription.trial_started': 'Trial started',
  'subscription.started': 'Subscribed',
  'subscription.upgraded': 'Upgraded',
  'subscription.downgraded': 'Downgraded',
  'subscription.plan_changed': 'Plan changed',
  'subscription.interval_changed': 'Billing interval changed',
  'subscription.price_changed': 'Price changed',
  'subscription.cancel_scheduled': 'Cancellation scheduled',
  'subscription.canceled': 'Subscription canceled',
  'subscription.cancel_undone': 'Cancellation undone',
  'subscription.resumed': 'Subscription resumed',
  'subscription.unknown_price': 'Subscription on an unknown price',
  'reconcile.customer': 'Reconciled with Stripe',
  'api_key.issued': 'API key issued',
  'api_key.revoked': 'API key revoked',
  'grant.created': 'Grant made',
  'grant.revoked': 'Grant revoked',
  'api_key.updated': 'API key changed',
  'notification.suspended': 'Suspension notice sent',
  'contract.overrides_set': 'Contract overrides set',
  'contract.overrides_removed': 'Contract overrides removed',
  'customer.price_set': 'Contract price set',
  'customer.price_removed': 'Contract price removed',
};

/** "customer_key:key_1" -> who did it, in words. */
export function actorLabel(actor: string): string {
  const [kind, id] = actor.split(/:(.*)/s);
  if (kind === 'customer_key') return `the customer (API key ${id})`;
  if (kind === 'billing_session') return 'the customer (billing page)';
  if (kind === 'admin') return id === 'configured' ? 'an admin (configured key)' : `an admin (key ${id})`;
  if (kind === 'stripe') return 'Stripe (webhook)';
  if (kind === 'reconcile') return 'reconciliation';
  if (kind === 'cli') return `the command line (${id})`;
  return actor;
}

/** The title of an entry; a status change that kept the status (only the plan moved) says so. */
export function actionLabel(action: string, details: Record<string, unknown> = {}): string {
  if (
    action === 'billing.status_changed' &&
    details.from === details.to &&
    details.fromPlan !== details.toPlan
  )
    return 'Plan changed';
  const known = actionLabels[action];
  if (known) return known;
  const words = action.replace(/[._]/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** Labels of the detail keys the API writes; others are spelled out from their camelCase or snake_case. */
const detailLabels: Record<string, string> = {
  stripeEventId: 'Stripe event',
  subscriptionId: 'Subscription',
  sessionId: 'Checkout session',
  invoiceId: 'Invoice',
  keyId: 'Key',
  paymentMethodId: 'Payment method',
  last4: 'Last 4 digits',
  priceId: 'Price',
  paymentFailedAt: 'Payment failed',
  trialEndAt: 'Trial ends',
  endsAt: 'Ends',
  previousStatus: 'Previous status',
  fromInterval: 'Previous interval',
};

function keyLabel(key: string): string {
  const known = detailLabels[key];
  if (known) return known;
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/_/g, ' ')
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

const idKeys = /(Id|_id)$/;
const timeKeys = /(At|_at)$/;
const statusKeys = new Set(['from', 'to', 'fromStatus', 'toStatus', 'previousStatus']);

interface Detail {
  label: string;
  value: ReactNode;
}

/** One key of a `contract.overrides_*` entry: the plan's value, the override before and after. */
interface OverrideChange {
  key: string;
  plan: unknown;
  before: { value: unknown; expires_at: string | null } | null;
  after: { value: unknown; expires_at: string | null } | null;
}

function overrideValue(value: unknown): string {
  if (value === null) return 'unlimited';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

function overrideState(state: OverrideChange['before'], plan: unknown): string {
  if (state === null) return `${overrideValue(plan)} (plan)`;
  const until = state.expires_at === null ? '' : ` until ${formatDateTime(state.expires_at)}`;
  return `${overrideValue(state.value)}${until}`;
}

function overrideChange(change: OverrideChange): Detail {
  return {
    label: change.key,
    value: `${overrideState(change.before, change.plan)} → ${overrideState(change.after, change.plan)}`,
  };
}

/**
 * The details as label/value pairs: plan and status changes as "Pro → Enterprise", an amount with its
 * currency, times as dates, ids whole (never wrapped), plans by name.
 */
export function detailItems(details: Record<string, unknown>, planName: (id: string) => string): Detail[] {
  const rest = { ...details };
  const items: Detail[] = [];
  const take = (key: string) => {
    const value = rest[key];
    delete rest[key];
    return value === null || value === undefined || value === '' ? undefined : value;
  };
  const change = (label: string, from: unknown, to: unknown, name: (value: string) => string) => {
    if (from === undefined && to === undefined) return;
    const text =
      from === undefined || from === to
        ? name(String(to ?? from))
        : `${name(String(from))} → ${name(String(to))}`;
    items.push({ label, value: text });
  };
  const statusText = (value: string) => value.replace(/_/g, ' ');
  change('Plan', take('fromPlan'), take('toPlan'), planName);
  const fromStatus = take('fromStatus') ?? take('from');
  const toStatus = take('toStatus') ?? take('to');
  change('Status', fromStatus, toStatus, statusText);
  // A grant's before/after read as a grant; a key change's are read below.
  if (isGrant(rest.after)) grantItems(take('before'), take('after'), items);
  // Overrides: one line per key, "100 (plan) → 5000 until Mar 1, 2027".
  const changes = take('changes');
  if (Array.isArray(changes)) {
    for (const entry of changes as OverrideChange[]) items.push(overrideChange(entry));
  }
  const amount = take('amountCharged');
  const currency = take('currency');
  if (typeof amount === 'number')
    items.push({ label: 'Charged', value: formatMoney(amount, String(currency ?? 'usd')) });
  // A contract price change: `before`/`after` are `{ amount, currency, ... }` or null (the catalog's).
  if (isPriceState(rest.before) || isPriceState(rest.after)) {
    const price = (value: unknown) => {
      const known = value as { amount?: unknown; currency?: unknown } | null | undefined;
      return typeof known?.amount === 'number'
        ? formatMoney(known.amount, String(known.currency ?? 'usd'))
        : 'catalog price';
    };
    items.push({ label: 'Price', value: `${price(take('before'))} → ${price(take('after'))}` });
  }
  for (const [key, raw] of Object.entries(rest)) {
    if (raw === null || raw === undefined || raw === '') continue;
    let value: ReactNode;
    if (typeof raw === 'number' && timeKeys.test(key)) value = formatDateTime(new Date(raw).toISOString());
    else if (typeof raw === 'string' && (idKeys.test(key) || key === 'prefix'))
      value = <IdText value={raw} />;
    else if (typeof raw === 'string' && statusKeys.has(key)) value = statusText(raw);
    else if (key === 'plan' && typeof raw === 'string') value = planName(raw);
    else if ((key === 'interval' || key === 'fromInterval') && typeof raw === 'string')
      value = formatInterval(raw);
    else value = teamKeyAuditText(key, raw) ?? (typeof raw === 'string' ? raw : JSON.stringify(raw));
    items.push({ label: keyLabel(key), value });
  }
  return items;
}

/** A grant as its audit entry carries it (the admin API's shape). */
interface AuditedGrant {
  kind: 'credits' | 'operation';
  operation: string | null;
  amount: number;
  remaining: number;
  expires: string;
  reason: string | null;
}

/** A contract price as its audit entry carries it (`{ amount, currency, ... }`); grants and keys have no currency. */
function isPriceState(value: unknown): boolean {
  return typeof value === 'object' && value !== null && 'amount' in value && 'currency' in value;
}

function isGrant(value: unknown): value is AuditedGrant {
  return typeof value === 'object' && value !== null && 'kind' in value && 'amount' in value;
}

/** A grant made or revoked in words: what it gave, and what was left before and after. */
function grantItems(before: unknown, after: unknown, items: Detail[]): void {
  if (!isGrant(after)) return;
  const figure = (value: number) =>
    after.kind === 'credits' ? `${value} credits` : `${value} ${after.operation ?? 'units'}`;
  const until = after.expires === 'period' ? 'for the period' : 'until used';
  items.push({ label: 'Grant', value: `${figure(after.amount)} ${until}` });
  const left = isGrant(before)
    ? `${figure(before.remaining)} → ${figure(after.remaining)}`
    : figure(after.remaining);
  items.push({ label: 'Left', value: left });
  if (after.reason) items.push({ label: 'Reason', value: after.reason });
}
