/**
 * Every migration, in order. Adding one is adding a file `NNN-what-it-does.ts` beside this one and a
 * line here; released migrations are never edited (they already ran on someone's database).
 */
import { initialSchema } from './001-initial-schema.js';
import { billingEvents } from './002-billing-events.js';
import { meterOutbox } from './003-meter-outbox.js';
import { dashboardSessions } from './004-dashboard-sessions.js';
import { subscriptions } from './005-subscriptions.js';
import { operationCounters } from './006-operation-counters.js';
import { reservations } from './007-reservations.js';
import { usageEventMetadata } from './008-usage-event-metadata.js';
import { customerOverrides } from './009-customer-overrides.js';
import { customerPrices } from './010-customer-prices.js';
import { grants } from './011-grants.js';
import { teamKeys } from './012-team-keys.js';
import { usageEventLog } from './013-usage-event-log.js';
import type { NamedMigration } from './migration.js';

export const migrations: readonly NamedMigration[] = [
  initialSchema,
  billingEvents,
  meterOutbox,
  dashboardSessions,
  subscriptions,
  operationCounters,
  reservations,
  usageEventMetadata,
  customerOverrides,
  customerPrices,
  grants,
  teamKeys,
  usageEventLog,
];
