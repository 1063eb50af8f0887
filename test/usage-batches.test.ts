/**
 * `consumeBatch` on SQLite and PostgreSQL: a batch of usage events is one engine call and one store
 * transaction, and each event gets exactly the answer `consume` (with `countRequest: false`) gives
 * the same events one by one: a property over random batches mixing operations, quantities, repeated
 * idempotency keys (same and different payloads), back-dated events, metadata, invalid events,
 * credit, operation-window and key limits.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Catalog, Plan } from '../src/core/catalog/catalog.js';
import { ManualClock } from '../src/core/clock.js';
import { TollgateError } from '../src/core/errors.js';
import type { UsageReport } from '../src/core/gate/gate.js';
import type { GateDecision } from '../src/core/gate/gate-decision.js';
import { DAY_MS } from '../src/core/periods.js';
import type { UsageDebit } from '../src/core/ports.js';
import { createTollgate, type Tollgate } from '../src/core/tollgate.js';
import { type Backend, backends, type CountersHandle, openMemoryCounters } from './support/backends.js';
import { logCommits } from './support/commit-log.js';
import { testCatalog } from './support/test-catalog.js';

const START = Date.UTC(2026, 4, 10, 12);

/** The test catalog plus `tight`: 8 credits, 6 captures a day and 10 a period (keys below: 5 credits). */
function batchCatalog(): Catalog {
  const catalog = testCatalog();
  const bulk = catalog.plans.find((plan) => plan.id === 'bulk') as Plan;
  catalog.plans.push({
    ...bulk,
    id: 'tight',
    name: 'tight',
    limits: {
      ...bulk.limits,
      credits: 8_000,
      operations: { capture: { windows: { day: 6, month: 10 }, overage: null } },
    },
  });
  return catalog;
}

type Answer = GateDecision | TollgateError;

/**
 * What an answer says, without what differs between two customers: event ids become the position of
 * the event that first got them, key ids a placeholder.
 */
function comparable(answers: readonly Answer[]): unknown[] {
  const firstSeen = new Map<string, number>();
  const eventRef = (id: unknown) => {
    if (typeof id !== 'string') return id;
    if (!firstSeen.has(id)) firstSeen.set(id, firstSeen.size);
    return `event#${firstSeen.get(id)}`;
  };
  return answers.map((answer) => {
    if (answer instanceof TollgateError) {
      const { event_id: eventId, ...details } = answer.details;
      return { error: answer.code, message: answer.message, details, eventId: eventRef(eventId) };
    }
    return {
      allowed: answer.allowed,
      reason: answer.reason,
      status: answer.status,
      message: answer.message,
      plan: answer.plan,
      credits: answer.credits,
      rate: answer.rate,
      operation: answer.operation,
      refusedWindow: answer.refusedWindow,
      refusedKey: answer.refusedKey && { ...answer.refusedKey, keyId: 'key' },
      retryAfterSeconds: answer.retryAfterSeconds,
      replayed: answer.replayed,
      eventId: eventRef(answer.eventId),
      headers: answer.headers,
    };
  });
}

const reportArbitrary: fc.Arbitrary<UsageReport> = fc
  .record(
    {
      operation: fc.constantFrom('capture', 'capture', 'search', 'teleport'),
      quantity: fc.oneof(fc.integer({ min: 1, max: 4 }), fc.constant(0)),
      idempotencyKey: fc.constantFrom('a', 'b', 'c', 'd'),
      occurredAt: fc.constantFrom(START - DAY_MS, START - 2 * DAY_MS),
      metadata: fc.constantFrom<Record<string, string>>({ model: 'small' }, { 'Not A Key': 'x' }),
    },
    { requiredKeys: ['operation'] },
  )
  .map((report) => report as UsageReport);

describe.each(backends)('consumeBatch on %s', (_name, open) => {
  let backend: Backend;
  let counters: CountersHandle;
  let tollgate: Tollgate;
  let clock: ManualClock;
  let log: UsageDebit[][];
  let observed: GateDecision[];
  /** How many debits each usage transaction held. */
  const commits = () => log.map((debits) => debits.length);

  beforeAll(async () => {
    backend = await open();
    counters = openMemoryCounters();
    const store = backend.store;
    // The store's transactions: a batch must be one of them.
    log = logCommits(store);
    clock = new ManualClock(START);
    tollgate = createTollgate({ catalog: batchCatalog(), store, counters: counters.counters, clock });
    observed = [];
    tollgate.observeDecisions((decision) => observed.push(decision));
  });

  afterAll(async () => {
    await tollgate.close();
    await counters.cleanup();
    await backend.cleanup();
  });

  beforeEach(() => {
    log.length = 0;
    observed.length = 0;
  });

  it('answers every event as consume answers the same events one by one', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(reportArbitrary, { minLength: 1, maxLength: 30 }),
        fc.boolean(),
        async (reports, withKey) => {
          const one = await tollgate.createCustomer({ plan: 'tight' });
          const batched = await tollgate.createCustomer({ plan: 'tight' });
          const keyOf = async (customerId: string) =>
            withKey
              ? (
                  await tollgate.issueApiKey(customerId, 'share', {
                    limits: { credits: 5 },
                  })
                ).record.id
              : undefined;
          const oneKey = await keyOf(one.id);
          const batchedKey = await keyOf(batched.id);

          const singles: Answer[] = [];
          for (const report of reports) {
            const request = { ...report, countRequest: false, ...(oneKey && { keyId: oneKey }) };
            singles.push(
              await tollgate.consume(one.id, request).catch((error: unknown) => {
                if (error instanceof TollgateError) return error;
                throw error;
              }),
            );
          }
          log.length = 0;
          observed.length = 0;
          const answers = await tollgate.consumeBatch(
            batched.id,
            reports,
            batchedKey === undefined ? {} : { keyId: batchedKey },
          );

          expect(comparable(answers)).toEqual(comparable(singles));
          // One transaction for every valid event (conflicts are found there), one observed decision each.
          const valid = answers.filter(
            (answer) => !(answer instanceof TollgateError && answer.code === 'invalid_request'),
          );
          expect(commits()).toEqual(valid.length > 0 ? [valid.length] : []);
          expect(observed).toEqual(answers.filter((answer) => !(answer instanceof TollgateError)));
          expect((await tollgate.usage(batched.id)).used).toBe((await tollgate.usage(one.id)).used);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('refuses every event of a suspended account without a commit, as consume does', async () => {
    const customer = await tollgate.createCustomer({ plan: 'free' });
    await tollgate.updateCustomer(customer.id, { status: 'suspended' });
    const reports: UsageReport[] = [{ operation: 'search' }, { operation: 'capture', idempotencyKey: 'k' }];
    const answers = await tollgate.consumeBatch(customer.id, reports);
    const single = await tollgate.consume(customer.id, { ...reports[0], countRequest: false });
    expect(answers.map((answer) => (answer as GateDecision).reason)).toEqual([
      'account_suspended',
      'account_suspended',
    ]);
    expect((answers[0] as GateDecision).headers).toEqual(single.headers);
    expect(commits()).toEqual([]);
  });

  it('rejects the whole batch for an unknown customer or a key of another customer, recording nothing', async () => {
    const customer = await tollgate.createCustomer({ plan: 'bulk' });
    const other = await tollgate.createCustomer({ plan: 'bulk' });
    const otherKey = await tollgate.issueApiKey(other.id, 'theirs');
    await expect(tollgate.consumeBatch('tgcus_missing', [{ operation: 'search' }])).rejects.toMatchObject({
      code: 'not_found',
    });
    await expect(
      tollgate.consumeBatch(customer.id, [{ operation: 'search' }], { keyId: otherKey.record.id }),
    ).rejects.toBeInstanceOf(TollgateError);
    expect(commits()).toEqual([]);
    expect((await tollgate.usage(customer.id)).used).toBe(0);
  });
});
