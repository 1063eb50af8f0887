/**
 * Tollgate's clock following a Stripe test clock (STRIPE_TEST_CLOCK, test mode only): `now()` is the
 * clock's `frozen_time`, so grace periods, quota periods and trials move when the test clock does,
 * against the emulator and real Stripe alike. The engine reads the time synchronously, so the value is
 * cached: `test_helpers.test_clock.ready` events and `advance` set it at once, and a read older than
 * `refreshMs` (real time) starts a background refresh, for advances made elsewhere (the Dashboard).
 * The time never moves back.
 */
import type Stripe from 'stripe';
import type { Clock } from '../../core/clock.js';

export interface TestClockFollowerOptions {
  /** How long a read of the clock is trusted, in real ms (default 2,000). */
  refreshMs?: number;
  /** Real time, for the cache (tests pass their own). */
  realNow?: () => number;
  onError?: (error: unknown) => void;
}

export class TestClockFollower implements Clock {
  private frozenMs = 0;
  private readAt = Number.NEGATIVE_INFINITY;
  private refreshing: Promise<void> | null = null;
  private readonly refreshMs: number;
  private readonly realNow: () => number;

  constructor(
    private readonly stripe: Stripe,
    readonly clockId: string,
    private readonly options: TestClockFollowerOptions = {},
  ) {
    this.refreshMs = options.refreshMs ?? 2_000;
    this.realNow = options.realNow ?? Date.now;
  }

  /** Reads the clock once; call before the engine uses this clock. */
  async start(): Promise<this> {
    await this.refresh();
    return this;
  }

  now(): number {
    if (this.realNow() - this.readAt > this.refreshMs && this.refreshing === null) {
      this.refreshing = this.refresh()
        .catch((error: unknown) => this.options.onError?.(error))
        .finally(() => {
          this.refreshing = null;
        });
    }
    return this.frozenMs;
  }

  /** Moves to a `frozen_time` Stripe reported (Unix seconds); an older one is ignored. */
  follow(frozenTimeSeconds: number): void {
    this.frozenMs = Math.max(this.frozenMs, frozenTimeSeconds * 1000);
    this.readAt = this.realNow();
  }

  /** The handler hook: only this follower's clock moves it. */
  readonly onTestClockReady = (clock: Stripe.TestHelpers.TestClock): void => {
    if (clock.id === this.clockId) this.follow(clock.frozen_time);
  };

  async refresh(): Promise<void> {
    const clock = await this.stripe.testHelpers.testClocks.retrieve(this.clockId);
    this.follow(clock.frozen_time);
  }
}
