/**
 * An enterprise contract's parts together through the engine on real stores: a plan of 100 credits,
 * an override to 200 until a fixed instant, a 50-credit grant, a negotiated price, a team key limited
 * to 100 credits beside one without limits. 600 concurrent requests on two engine instances (each on
 * its own store connection) admit exactly 250, exactly 100 of them through the limited key, each
 * counted once; at the override's expiry (ManualClock) the ceiling is the plan's 100 plus what is left
 * of the grant. Each part removed changes a figure asserted here: no override -> 150, no grant -> 200,
 * no key limit -> more than 100 through that key, no negotiated price -> the price is not found.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseCatalog } from '../src/core/catalog/parse-catalog.js';
import { ManualClock } from '../src/core/clock.js';
import { newId } from '../src/core/ids.js';
import type { Store } from '../src/core/ports.js';
import { createTollgate, type Tollgate } from '../src/core/tollgate.js';
import { createMemoryCounters } from '../src/counters/memory-counters.js';
import { createPostgresStore } from '../src/store/postgres-store.js';
import { createSqliteStore } from '../src/store/sqlite-store.js';
import { type Backend, backends } from './support/backends.js';

const CREDIT = 1000;
const START = Date.UTC(2026, 5, 10, 12);
/** The override's end, inside the same credit period. */
const EXPIRY = Date.UTC(2026, 5, 20);
const ACTOR = 'admin:key_contract';

const catalog = parseCatalog({
  currency: 'usd',
  default_plan: 'free',
  upgrade_url: '/billing',
  operations: { capture: 1 },
  plans: {
    free: { name: 'Free', limits: { credits: 10 } },
    team: { name: 'Team', prices: { month: 49900 }, limits: { credits: 100 } },
  },
});

describe.each(backends)('an enterprise contract on %s', (_name, open) => {
  let backend: Backend;
  let clock: ManualClock;
  let first: Tollgate;
  let second: Tollgate;
  let secondStore: Store;
  const counters = createMemoryCounters();

  const engine = (store: Store) =>
    createTollgate({
      catalog,
      store,
      counters,
      clock,
      commitConcurrency: backend.name === 'postgres' ? 4 : 1,
    });

  beforeEach(async () => {
    backend = await open();
    clock = new ManualClock(START);
    first = engine(backend.store);
    // Another instance: its own engine (its own caches) on its own connection to the same database.
    const { location } = backend;
    secondStore =
      location.kind === 'sqlite'
        ? createSqliteStore({ filename: location.filename })
        : createPostgresStore({ connectionString: location.url, schema: location.schema });
    await secondStore.migrate();
    second = engine(secondStore);
  });
  afterEach(async () => {
    await second.close();
    await secondStore.close();
    await first.close();
    await backend.cleanup();
  });

  /** The contract of the walk-through in docs/enterprise.md, in small figures. */
  async function contract() {
    const customer = await first.createCustomer({ plan: 'team' });
    await first.setOverrides(
      customer.id,
      { set: [{ path: 'credits', key: 'credits', value: 200 }], expiresAt: EXPIRY, reason: 'pilot' },
      ACTOR,
    );
    await first.grant(customer.id, {
      amount: 50 * CREDIT,
      expires: 'until_used',
      idempotencyKey: 'onboarding',
      reason: 'onboarding',
    });
    const price = {
      id: newId('cpr', START),
      customerId: customer.id,
      planId: 'team',
      interval: 'month' as const,
      amount: 200_000,
      currency: 'usd',
      stripePriceId: 'price_contract_team',
      reason: 'MSA',
      createdBy: ACTOR,
      createdAt: START,
    };
    await backend.store.saveCustomerPrice(price, null, {
      at: START,
      actor: ACTOR,
      action: 'customer.price_set',
      customerId: customer.id,
      details: { plan: 'team', interval: 'month', after: 200_000 },
    });
    const interns = await first.issueApiKey(customer.id, 'interns', { limits: { credits: 100 } });
    const backendKey = await first.issueApiKey(customer.id, 'backend');
    return { customer, interns: interns.record.id, backend: backendKey.record.id };
  }

  it('admits exactly 250 of 600 concurrent requests, 100 through the limited key, each counted once', async () => {
    const { customer, interns, backend: other } = await contract();
    // 450 through the interns' key, 150 through the other, spread over both instances.
    const keyOf = (index: number) => (index % 4 === 3 ? other : interns);
    const decisions = await Promise.all(
      Array.from({ length: 600 }, (_, index) =>
        (index % 2 === 0 ? first : second).consume(customer.id, {
          operation: 'capture',
          keyId: keyOf(index),
          countRequest: false,
        }),
      ),
    );
    const admitted = (keyId: string) =>
      decisions.filter((decision, index) => decision.allowed && keyOf(index) === keyId).length;
    expect(decisions.filter((decision) => decision.allowed)).toHaveLength(250);
    expect(admitted(interns)).toBe(100);
    expect(admitted(other)).toBe(150);
    // Every refusal is the interns' (their key's limit, or the customer's once it is reached too).
    const refused = decisions.filter((decision, index) => !decision.allowed && keyOf(index) === interns);
    expect(refused).toHaveLength(350);
    expect(refused.filter((decision) => decision.refusedKey?.keyId === interns).length).toBeGreaterThan(0);

    // Nothing counted twice: the customer's total, the breakdown by key and the grant agree.
    expect((await first.usage(customer.id)).used).toBe(250 * CREDIT);
    const byKey = await second.usageByKey(customer.id);
    expect(byKey.keys.reduce((sum, row) => sum + row.cost, 0)).toBe(250 * CREDIT);
    expect(byKey.keys.find((row) => row.keyId === interns)?.cost).toBe(100 * CREDIT);
    expect(byKey.keys.find((row) => row.keyId === other)?.cost).toBe(150 * CREDIT);
    expect(await first.grants(customer.id)).toMatchObject([{ used: 50 * CREDIT, remaining: 0 }]);

    // The ceiling is exactly 250: the customer's own limit (not a key's) now refuses the other key.
    const more = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        (index % 2 === 0 ? first : second).consume(customer.id, {
          operation: 'capture',
          keyId: other,
          countRequest: false,
        }),
      ),
    );
    expect(more.filter((decision) => decision.allowed)).toHaveLength(0);
    expect(more[0]).toMatchObject({ reason: 'quota_exceeded', limitSource: 'contract', refusedKey: null });

    // The negotiated price is the customer's, beside the limits, and changed none of them.
    expect(await secondStore.listCustomerPrices({ customerId: customer.id })).toMatchObject([
      { planId: 'team', interval: 'month', amount: 200_000 },
    ]);
  });

  it("drops back to the plan's 100 plus what is left of the grant when the override expires", async () => {
    const { customer, interns, backend: other } = await contract();
    // 20 credits used, all from the grant (spent first): 30 of it left.
    for (let index = 0; index < 20; index++) {
      const decision = await first.consume(customer.id, {
        operation: 'capture',
        keyId: other,
        countRequest: false,
      });
      expect(decision.allowed).toBe(true);
    }
    expect(await first.grants(customer.id)).toMatchObject([{ used: 20 * CREDIT, remaining: 30 * CREDIT }]);

    // A millisecond before the expiry the override holds: 200 + 50 - 20 left.
    clock.set(EXPIRY - 1);
    const before = await first.consume(customer.id, {
      operation: 'capture',
      keyId: other,
      countRequest: false,
    });
    expect(before.allowed).toBe(true);
    expect(before.credits).toMatchObject({ limit: 200 * CREDIT });

    // At the instant, on both instances: the plan's 100 (untouched: the grant was spent first) plus the
    // 29 left of the grant, so exactly 129 more, 150 in all.
    clock.set(EXPIRY);
    const decisions = await Promise.all(
      Array.from({ length: 300 }, (_, index) =>
        (index % 2 === 0 ? first : second).consume(customer.id, {
          operation: 'capture',
          keyId: index % 3 === 0 ? interns : other,
          countRequest: false,
        }),
      ),
    );
    expect(decisions.filter((decision) => decision.allowed)).toHaveLength(129);
    const denial = decisions.find((decision) => !decision.allowed);
    expect(denial).toMatchObject({ reason: 'quota_exceeded', limitSource: 'plan', refusedKey: null });
    expect(denial?.credits).toMatchObject({ limit: 100 * CREDIT });
    expect((await second.usage(customer.id)).used).toBe(150 * CREDIT);
    expect(await first.grants(customer.id)).toMatchObject([{ used: 50 * CREDIT, remaining: 0 }]);
    const byKey = await first.usageByKey(customer.id);
    expect(byKey.keys.reduce((sum, row) => sum + row.cost, 0)).toBe(150 * CREDIT);
    expect(byKey.keys.find((row) => row.keyId === interns)?.cost ?? 0).toBeLessThanOrEqual(100 * CREDIT);
  });
});
