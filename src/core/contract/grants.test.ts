import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { calendarMonth } from '../periods.js';
import { allowanceTotal, type Grant, type GrantCounter, grantPosition, raiseLimit } from './grants.js';

const JAN = calendarMonth(Date.UTC(2026, 0, 10));
const FEB = calendarMonth(Date.UTC(2026, 1, 10));
const MAR = calendarMonth(Date.UTC(2026, 2, 10));

let sequence = 0;
function grant(fields: Partial<Grant> & Pick<Grant, 'amount'>): Grant {
  sequence += 1;
  return {
    id: `grant_${String(sequence).padStart(3, '0')}`,
    customerId: 'cus_1',
    operation: null,
    expires: 'until_used',
    expiresAt: null,
    periodStart: JAN.start,
    baseline: 0,
    createdAt: JAN.start + sequence,
    createdBy: null,
    reason: null,
    idempotencyKey: `key-${sequence}`,
    revokedAt: null,
    revokedAmount: 0,
    ...fields,
  };
}

const credits = (periodStart: number, used: number): GrantCounter => ({ operation: null, periodStart, used });

describe('grantPosition', () => {
  it('spends a grant before the plan and raises the limit by what is left of it', () => {
    const bonus = grant({ amount: 50 });
    const position = grantPosition({ grants: [bonus], counters: [] }, JAN, { credits: 30, operations: {} });
    expect(position.standings).toEqual([{ grant: bonus, used: 30, remaining: 20, status: 'active' }]);
    // The limit is raised by the grant as it stood when the period began (the counter is spent against it).
    expect(raiseLimit(100, position.credits)).toBe(150);
    expect(raiseLimit(null, position.credits)).toBeNull();
  });

  it('counts a grant made mid-period from the counter at its making, not from the period start', () => {
    const bonus = grant({
      amount: 50,
      periodStart: JAN.start,
      baseline: 80,
      createdAt: Date.UTC(2026, 0, 15),
    });
    const position = grantPosition({ grants: [bonus], counters: [] }, JAN, { credits: 110, operations: {} });
    expect(position.standings[0]).toMatchObject({ used: 30, remaining: 20, status: 'active' });
    expect(raiseLimit(100, position.credits)).toBe(150);
  });

  it('gives a mid-period grant its whole amount when the counter was already past the limit', () => {
    const bonus = grant({ amount: 50, baseline: 105 });
    const position = grantPosition({ grants: [bonus], counters: [] }, JAN, { credits: 105, operations: {} });
    expect(raiseLimit(100, position.credits)).toBe(155);
    expect(position.standings[0]).toMatchObject({ used: 0, remaining: 50 });
  });

  it('ends a period grant with its period, however much is left', () => {
    const bonus = grant({ amount: 50, expires: 'period', expiresAt: JAN.end });
    const book = { grants: [bonus], counters: [credits(JAN.start, 20)] };
    expect(grantPosition(book, JAN).standings[0]).toMatchObject({
      used: 20,
      remaining: 30,
      status: 'active',
    });
    const february = grantPosition(book, FEB, { credits: 5, operations: {} });
    expect(february.standings[0]).toMatchObject({ used: 20, remaining: 0, status: 'expired' });
    expect(raiseLimit(100, february.credits)).toBe(100);
  });

  it('carries what is left of an until-used grant into the next periods, computed from their counters', () => {
    const bonus = grant({ amount: 100_000 });
    const book = { grants: [bonus], counters: [credits(JAN.start, 60_000), credits(FEB.start, 30_000)] };
    const march = grantPosition(book, MAR, { credits: 4_000, operations: {} });
    expect(raiseLimit(1_000, march.credits)).toBe(11_000);
    expect(march.standings[0]).toMatchObject({ used: 94_000, remaining: 6_000, status: 'active' });
    const used = grantPosition(book, MAR, { credits: 20_000, operations: {} });
    expect(used.standings[0]).toMatchObject({ used: 100_000, remaining: 0, status: 'used' });
  });

  it('spends the grant that expires soonest first', () => {
    const lasting = grant({ amount: 40 });
    const ending = grant({ amount: 40, expires: 'period', expiresAt: JAN.end });
    const dated = grant({ amount: 40, expiresAt: Date.UTC(2026, 5, 1) });
    const position = grantPosition({ grants: [lasting, ending, dated], counters: [] }, JAN, {
      credits: 70,
      operations: {},
    });
    expect(position.standings.map(({ used, remaining }) => [used, remaining])).toEqual([
      [0, 40],
      [40, 0],
      [30, 10],
    ]);
    expect(raiseLimit(100, position.credits)).toBe(220);
  });

  it('only gives a later grant the usage counted after it was made', () => {
    const early = grant({ amount: 20, baseline: 50, expiresAt: Date.UTC(2026, 5, 1) });
    const late = grant({ amount: 20, baseline: 60, expires: 'period', expiresAt: JAN.end });
    const position = grantPosition({ grants: [early, late], counters: [] }, JAN, {
      credits: 85,
      operations: {},
    });
    // [50, 60) to the early grant; from 60 the late one expires sooner: [60, 80) to it, [80, 85) early.
    expect(position.standings.map(({ used }) => used)).toEqual([15, 20]);
    expect(raiseLimit(100, position.credits)).toBe(140);
  });

  it('stops at what a revoke left: the unspent part taken back is no longer counted', () => {
    const bonus = grant({ amount: 50, revokedAt: Date.UTC(2026, 0, 20), revokedAmount: 30 });
    const position = grantPosition({ grants: [bonus], counters: [] }, JAN, { credits: 45, operations: {} });
    expect(position.standings[0]).toMatchObject({ used: 20, remaining: 0, status: 'revoked' });
    expect(raiseLimit(100, position.credits)).toBe(120);
  });

  it('keeps an until-used grant with a date through the period that date falls in, then ends it', () => {
    const bonus = grant({ amount: 50, expiresAt: Date.UTC(2026, 1, 14) });
    const book = { grants: [bonus], counters: [credits(JAN.start, 10)] };
    expect(grantPosition(book, FEB, { credits: 0, operations: {} }).standings[0]).toMatchObject({
      remaining: 40,
      status: 'active',
    });
    expect(grantPosition(book, MAR, { credits: 0, operations: {} }).standings[0]).toMatchObject({
      remaining: 0,
      status: 'expired',
    });
  });

  it('keeps operation grants apart from credits and from other operations', () => {
    const tokens = grant({ amount: 1_000, operation: 'tokens' });
    const money = grant({ amount: 5_000 });
    const position = grantPosition(
      { grants: [tokens, money], counters: [{ operation: 'tokens', periodStart: JAN.start, used: 600 }] },
      FEB,
      { credits: 1_000, operations: { tokens: 100, video: 9 } },
    );
    expect(position.standings.map(({ used, remaining }) => [used, remaining])).toEqual([
      [700, 300],
      [1_000, 4_000],
    ]);
    expect(raiseLimit(10, position.operations.tokens)).toBe(410);
    expect(position.operations.video).toBeUndefined();
    expect(raiseLimit(2_000, position.credits)).toBe(7_000);
  });
});

describe('the limit grants raise agrees with the attribution', () => {
  type Step = { kind: 'debit'; cost: number } | { kind: 'grant'; amount: number; expiresAt: number | null };
  const step = fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({ kind: fc.constant('debit' as const), cost: fc.integer({ min: 1, max: 30 }) }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('grant' as const),
        amount: fc.integer({ min: 1, max: 60 }),
        expiresAt: fc.option(fc.integer({ min: JAN.end, max: JAN.end + 10 }), { nil: null }),
      }),
    },
  );

  it('admits a debit exactly when the plan and the grants have room for it, and never spends past either', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100 }),
        fc.array(step, { maxLength: 40 }),
        (limit, steps: Step[]) => {
          const grants: Grant[] = [];
          let used = 0;
          steps.forEach((event, index) => {
            const now = { credits: used, operations: {} };
            if (event.kind === 'grant') {
              grants.push(
                grant({
                  amount: event.amount,
                  expiresAt: event.expiresAt,
                  baseline: used,
                  createdAt: JAN.start + index,
                }),
              );
              return;
            }
            const position = grantPosition({ grants, counters: [] }, JAN, now);
            const grantsLeft = position.standings.reduce((sum, standing) => sum + standing.remaining, 0);
            const granted = position.standings.reduce((sum, standing) => sum + standing.used, 0);
            const planLeft = limit - (used - granted);
            const ceiling = raiseLimit(limit, position.credits) ?? 0;
            // What the store would admit against the raised limit is what the plan and grants have left.
            expect(used + event.cost <= ceiling).toBe(event.cost <= planLeft + grantsLeft);
            if (used + event.cost <= ceiling) used += event.cost;
          });
          const final = grantPosition({ grants, counters: [] }, JAN, { credits: used, operations: {} });
          const granted = final.standings.reduce((sum, standing) => sum + standing.used, 0);
          expect(used - granted).toBeLessThanOrEqual(limit);
          for (const standing of final.standings) {
            expect(standing.used + standing.remaining).toBe(standing.grant.amount);
          }
          expect(allowanceTotal(final.credits)).toBe(grants.reduce((sum, entry) => sum + entry.amount, 0));
        },
      ),
      { numRuns: 300 },
    );
  });
});
