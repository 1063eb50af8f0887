/**
 * The store calls the Stripe webhook inbox makes for every delivery (the transaction of one delivery
 * or of a group-committed batch, the event lookup, the object versions, the invoice mirror, the
 * customer lookup, the audit line), on prepared better-sqlite3 statements instead of Kysely, which
 * compiles the query and has better-sqlite3 prepare it again on every call (about a third of the CPU
 * of a delivery). Same SQL effect, same row mapping, same answers as
 * billing-event-queries.ts and kysely-queries.ts, which PostgreSQL keeps using.
 *
 * The subscription mirror's three calls (every subscription event writes one and reads the customer's
 * set) are here too, with subscription-queries.ts's row mapping.
 *
 * `updateCustomer` (each subscription event changes the customer) keeps one statement per set of
 * columns changed, from the fixed set a patch maps to.
 *
 * Reads run at once outside a transaction, as in sqlite-point-reads.ts. Writes always take Kysely's
 * connection mutex (`db.connection()`), like `commitUsage`: so they never land inside another caller's
 * open Kysely transaction, nor while the checkpointer holds the writer paused for a RESTART.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { Kysely, Selectable } from 'kysely';
import type { AuditEntry, WebhookDelivery, WebhookEventStatus } from '../core/billing/billing-records.js';
import { newId } from '../core/ids.js';
import type { Customer, CustomerPatch, Store } from '../core/ports.js';
import { invoiceToRow, webhookEventFromRow } from './billing-event-queries.js';
import type { SubscriptionsTable, WebhookEventsTable } from './billing-event-tables.js';
import type { CustomersTable, Database } from './database.js';
import { translateUniqueViolation } from './errors.js';
import { customerFromRow, customerPatchToRow } from './rows.js';
import { subscriptionFromRow, subscriptionToRow } from './subscription-queries.js';

export type SqliteWebhookStatements = Pick<
  Store,
  | 'recordWebhookEvent'
  | 'markWebhookEvent'
  | 'applyWebhookDelivery'
  | 'applyWebhookDeliveries'
  | 'getWebhookEvent'
  | 'getWebhookEventStatus'
  | 'getObjectVersion'
  | 'setObjectVersion'
  | 'upsertInvoice'
  | 'getCustomerByStripeId'
  | 'updateCustomer'
  | 'appendAudit'
  | 'upsertSubscription'
  | 'getSubscription'
  | 'listSubscriptions'
>;

interface Statements {
  insertEvent: BetterSqlite3.Statement<[string, string, number, number, string]>;
  eventById: BetterSqlite3.Statement<[string], WebhookEventsTable>;
  markEvent: BetterSqlite3.Statement<[string, string | null, number, number | null, string]>;
  storeOutcome: BetterSqlite3.Statement<EventOutcomeRow>;
  storeUnprocessedOutcome: BetterSqlite3.Statement<EventOutcomeRow>;
  statusById: BetterSqlite3.Statement<[string], { status: string }>;
  versionOf: BetterSqlite3.Statement<[string], { applied_at: number }>;
  setVersion: BetterSqlite3.Statement<[string, number]>;
  upsertInvoice: BetterSqlite3.Statement<unknown[]>;
  customerByStripeId: BetterSqlite3.Statement<[string], Selectable<CustomersTable>>;
  insertAudit: BetterSqlite3.Statement<[string, number, string, string, string | null, string]>;
  upsertSubscription: BetterSqlite3.Statement<unknown[]>;
  subscriptionById: BetterSqlite3.Statement<[string], SubscriptionsTable>;
  subscriptionsOf: BetterSqlite3.Statement<[string], SubscriptionsTable>;
}

const SUBSCRIPTION_COLUMNS = [
  'id',
  'stripe_customer_id',
  'status',
  'price_id',
  'current_period_start',
  'current_period_end',
  'trial_end',
  'cancel_at_period_end',
  'created',
  'stripe_updated_at',
  'price_amount',
  'price_interval',
] as const;

const INVOICE_COLUMNS = [
  'id',
  'customer_id',
  'stripe_customer_id',
  'subscription_id',
  'status',
  'amount_due',
  'amount_paid',
  'currency',
  'hosted_invoice_url',
  'invoice_pdf',
  'period_start',
  'period_end',
  'paid_at',
  'created',
  'stripe_updated_at',
] as const;

type EventOutcomeRow = [string, string, number, number, string, number, string | null, number | null, string];

/** Inserts an event with its outcome, or sets the outcome of the stored one (its payload kept). */
const STORE_OUTCOME = `INSERT INTO webhook_events
  (id, type, created, received_at, status, attempts, last_error, processed_at, payload)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (id) DO UPDATE SET status = excluded.status, last_error = excluded.last_error,
    attempts = webhook_events.attempts + excluded.attempts, processed_at = excluded.processed_at`;

function prepare(database: BetterSqlite3.Database): Statements {
  const invoiceUpdates = INVOICE_COLUMNS.filter((column) => column !== 'id')
    .map((column) => `"${column}" = excluded."${column}"`)
    .join(', ');
  return {
    insertEvent: database.prepare(
      `INSERT INTO webhook_events (id, type, created, received_at, status, attempts, last_error, processed_at, payload)
       VALUES (?, ?, ?, ?, 'received', 0, NULL, NULL, ?) ON CONFLICT (id) DO NOTHING`,
    ),
    eventById: database.prepare('SELECT * FROM webhook_events WHERE id = ?'),
    markEvent: database.prepare(
      `UPDATE webhook_events SET status = ?, last_error = ?, attempts = attempts + ?, processed_at = ?
       WHERE id = ?`,
    ),
    // A delivery's event and outcome in one statement (the ~4 KB row written once): inserted when
    // new, else its status set; unless processed, for a delivery (an earlier one won), or always, for
    // a replay.
    storeOutcome: database.prepare(STORE_OUTCOME),
    storeUnprocessedOutcome: database.prepare(`${STORE_OUTCOME} WHERE webhook_events.status <> 'processed'`),
    statusById: database.prepare('SELECT status FROM webhook_events WHERE id = ?'),
    versionOf: database.prepare('SELECT applied_at FROM stripe_object_versions WHERE object_id = ?'),
    setVersion: database.prepare(
      `INSERT INTO stripe_object_versions (object_id, applied_at) VALUES (?, ?)
       ON CONFLICT (object_id) DO UPDATE SET applied_at = excluded.applied_at
       WHERE stripe_object_versions.applied_at < excluded.applied_at`,
    ),
    // A late write (an older event) leaves a newer mirror as it is.
    upsertInvoice: database.prepare(
      `INSERT INTO invoices (${INVOICE_COLUMNS.map((column) => `"${column}"`).join(', ')})
       VALUES (${INVOICE_COLUMNS.map(() => '?').join(', ')})
       ON CONFLICT (id) DO UPDATE SET ${invoiceUpdates}
       WHERE invoices.stripe_updated_at <= excluded.stripe_updated_at`,
    ),
    customerByStripeId: database.prepare('SELECT * FROM customers WHERE stripe_customer_id = ?'),
    insertAudit: database.prepare(
      'INSERT INTO audit_log (id, at, actor, action, customer_id, details) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    // A late write (an older event) leaves a newer mirror as it is.
    upsertSubscription: database.prepare(
      `INSERT INTO subscriptions (${SUBSCRIPTION_COLUMNS.map((column) => `"${column}"`).join(', ')})
       VALUES (${SUBSCRIPTION_COLUMNS.map(() => '?').join(', ')})
       ON CONFLICT (id) DO UPDATE SET ${SUBSCRIPTION_COLUMNS.filter((column) => column !== 'id')
         .map((column) => `"${column}" = excluded."${column}"`)
         .join(', ')}
       WHERE subscriptions.stripe_updated_at <= excluded.stripe_updated_at`,
    ),
    subscriptionById: database.prepare('SELECT * FROM subscriptions WHERE id = ?'),
    subscriptionsOf: database.prepare(
      'SELECT * FROM subscriptions WHERE stripe_customer_id = ? ORDER BY created, id',
    ),
  };
}

export function createSqliteWebhookStatements(
  database: BetterSqlite3.Database,
  db: Kysely<Database>,
): SqliteWebhookStatements {
  // Prepared on first use: the tables exist once migrate() has run.
  let prepared: Statements | undefined;
  const statements = (): Statements => {
    prepared ??= prepare(database);
    return prepared;
  };

  // One per set of columns a patch sets (bounded: the columns come from a fixed mapping).
  const customerUpdates = new Map<string, BetterSqlite3.Statement<unknown[], Selectable<CustomersTable>>>();
  const customerUpdate = (columns: string[]) => {
    const key = columns.join(',');
    let statement = customerUpdates.get(key);
    if (!statement) {
      statement = database.prepare(
        `UPDATE customers SET ${columns.map((column) => `"${column}" = ?`).join(', ')} WHERE id = ? RETURNING *`,
      );
      customerUpdates.set(key, statement);
    }
    return statement;
  };

  const updateCustomerRow = (id: string, patch: CustomerPatch): Selectable<CustomersTable> | undefined => {
    const changes = Object.entries(customerPatchToRow(patch)).filter(([, value]) => value !== undefined);
    try {
      return customerUpdate(changes.map(([column]) => column)).get(...changes.map(([, value]) => value), id);
    } catch (error) {
      throw translateUniqueViolation(error);
    }
  };
  const insertAudit = (s: Statements, entry: AuditEntry): void => {
    const details = JSON.stringify(entry.details);
    s.insertAudit.run(entry.id, entry.at, entry.actor, entry.action, entry.customerId, details);
  };

  /** A delivery's statements, in one transaction (BEGIN IMMEDIATE: the writer lock from the start). */
  const deliver = (s: Statements, { event, writes, outcome, reapply }: WebhookDelivery) => {
    const { changes } = (reapply ? s.storeOutcome : s.storeUnprocessedOutcome).run(
      event.id,
      event.type,
      event.created,
      event.receivedAt,
      outcome.status,
      outcome.status !== 'received' ? 1 : 0,
      outcome.error ?? null,
      outcome.status === 'processed' ? outcome.at : null,
      event.payload,
    );
    if (changes === 0) return { duplicate: true, customers: [] };
    const customers: Customer[] = [];
    for (const write of writes) {
      switch (write.kind) {
        case 'customer': {
          const row = updateCustomerRow(write.id, write.patch);
          if (row) customers.push(customerFromRow(row));
          break;
        }
        case 'subscription': {
          const row = subscriptionToRow(write.subscription);
          s.upsertSubscription.run(SUBSCRIPTION_COLUMNS.map((column) => row[column]));
          break;
        }
        case 'invoice': {
          const row = invoiceToRow(write.invoice);
          s.upsertInvoice.run(INVOICE_COLUMNS.map((column) => row[column]));
          break;
        }
        case 'version':
          s.setVersion.run(write.objectId, write.appliedAt);
          break;
        case 'audit':
          insertAudit(s, write.entry);
          break;
      }
    }
    return { duplicate: false, customers };
  };

  const read = <T>(run: (s: Statements) => T): T | Promise<T> =>
    database.inTransaction ? db.connection().execute(async () => run(statements())) : run(statements());
  const write = <T>(run: (s: Statements) => T): Promise<T> =>
    db.connection().execute(async () => run(statements()));

  return {
    async recordWebhookEvent(event) {
      return write((s) => {
        const { changes } = s.insertEvent.run(
          event.id,
          event.type,
          event.created,
          event.receivedAt,
          event.payload,
        );
        const row = s.eventById.get(event.id);
        if (!row) throw new Error(`webhook event ${event.id} not found after insert`);
        return { isNew: changes > 0, event: webhookEventFromRow(row) };
      });
    },

    async applyWebhookDelivery(delivery) {
      return write((s) => database.transaction(() => deliver(s, delivery)).immediate());
    },

    async applyWebhookDeliveries(deliveries) {
      return write((s) =>
        database.transaction(() => deliveries.map((delivery) => deliver(s, delivery))).immediate(),
      );
    },

    async getWebhookEvent(id) {
      const row = await read((s) => s.eventById.get(id));
      return row && webhookEventFromRow(row);
    },

    async getWebhookEventStatus(id) {
      const row = await read((s) => s.statusById.get(id));
      return row?.status as WebhookEventStatus | undefined;
    },

    async markWebhookEvent(id, outcome) {
      const finished = outcome.status !== 'received';
      const { changes } = await write((s) =>
        s.markEvent.run(
          outcome.status,
          outcome.error ?? null,
          finished ? 1 : 0,
          outcome.status === 'processed' ? outcome.at : null,
          id,
        ),
      );
      return changes > 0;
    },

    async getObjectVersion(objectId) {
      const row = await read((s) => s.versionOf.get(objectId));
      return row?.applied_at;
    },

    async setObjectVersion(objectId, appliedAt) {
      await write((s) => s.setVersion.run(objectId, appliedAt));
    },

    async upsertInvoice(invoice) {
      const row = invoiceToRow(invoice);
      const values = INVOICE_COLUMNS.map((column) => row[column]);
      await write((s) => s.upsertInvoice.run(values));
    },

    async getCustomerByStripeId(stripeCustomerId) {
      const row = await read((s) => s.customerByStripeId.get(stripeCustomerId));
      return row && customerFromRow(row);
    },

    async updateCustomer(id, patch) {
      const row = await write(() => updateCustomerRow(id, patch));
      return row && customerFromRow(row);
    },

    async upsertSubscription(subscription) {
      const row = subscriptionToRow(subscription);
      const values = SUBSCRIPTION_COLUMNS.map((column) => row[column]);
      await write((s) => s.upsertSubscription.run(values));
    },

    async getSubscription(id) {
      const row = await read((s) => s.subscriptionById.get(id));
      return row && subscriptionFromRow(row);
    },

    async listSubscriptions(stripeCustomerId) {
      const rows = await read((s) => s.subscriptionsOf.all(stripeCustomerId));
      return rows.map(subscriptionFromRow);
    },

    async appendAudit(entry) {
      const stored: AuditEntry = { id: newId('aud', entry.at), ...entry };
      await write((s) => insertAudit(s, stored));
      return stored;
    },
  };
}
