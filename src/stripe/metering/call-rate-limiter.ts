/**
 * Keeps outgoing calls under a rate: at most `callsPerSecond` calls start in any one-second span.
 *
 * A token bucket with a burst allowance lets up to burst + rate calls into some second; Stripe's limit
 * on meter events (1,000 calls/s) is a ceiling, so here each of the `callsPerSecond` tokens comes back
 * exactly one second after it was spent (a sliding log of the last N start times). That never lets
 * more than N calls start in any window of one second, and still allows a full N in every second.
 */

export interface CallRateLimiterOptions {
  callsPerSecond: number;
  /** Milliseconds, monotonic (default `performance.now`). Real time: this is about Stripe's clock, not ours. */
  now?: () => number;
  /** Waits this long (default setTimeout). */
  sleep?: (ms: number) => Promise<void>;
}

export class CallRateLimiter {
  readonly callsPerSecond: number;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  /** Start times of the last `callsPerSecond` calls, as a ring. */
  readonly #starts: number[] = [];
  #next = 0;
  /** Callers take tokens one after another, so each sees the ring as the previous one left it. */
  #queue: Promise<void> = Promise.resolve();

  constructor(options: CallRateLimiterOptions) {
    if (!Number.isInteger(options.callsPerSecond) || options.callsPerSecond < 1) {
      throw new TypeError(`callsPerSecond must be a positive integer: ${options.callsPerSecond}`);
    }
    this.callsPerSecond = options.callsPerSecond;
    this.#now = options.now ?? (() => performance.now());
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /**
   * Resolves when one more call may start, with the start time it was counted at (callers log that
   * time, not a later reading, so their log shows exactly what the limit enforced).
   */
  take(): Promise<number> {
    const turn = this.#queue.then(() => this.#takeNow());
    this.#queue = turn.then(
      () => {},
      () => {},
    );
    return turn;
  }

  async #takeNow(): Promise<number> {
    if (this.#starts.length < this.callsPerSecond) {
      const start = this.#now();
      this.#starts.push(start);
      return start;
    }
    // The oldest of the last N starts: the new call may start one second after it.
    const oldest = this.#starts[this.#next]!;
    let wait = oldest + 1000 - this.#now();
    while (wait > 0) {
      await this.#sleep(Math.ceil(wait));
      wait = oldest + 1000 - this.#now();
    }
    const start = this.#now();
    this.#starts[this.#next] = start;
    this.#next = (this.#next + 1) % this.callsPerSecond;
    return start;
  }
}
