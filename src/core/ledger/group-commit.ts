/**
 * Group commit for usage debits. Every debit made while a commit is being written waits for the
 * next one, and all of them share it: one transaction (and one fsync) for many requests. A caller's
 * promise resolves only after its debit is durable, so "recorded" never means "in memory".
 */
import type { Store, UsageDebit, UsageOutcome } from '../ports.js';

interface Pending {
  debit: UsageDebit;
  resolve: (outcome: UsageOutcome) => void;
  reject: (error: unknown) => void;
}

export interface GroupCommitOptions {
  /** Most debits in one transaction. */
  maxBatch?: number;
  /**
   * Transactions written at once. 1 for SQLite (one writer anyway); a few on PostgreSQL, where
   * batches for different customers commit in parallel on separate connections.
   */
  concurrency?: number;
}

export class GroupCommitter {
  private queue: Pending[] = [];
  private inFlight = 0;
  private scheduled = false;
  private idleWaiters: Array<() => void> = [];
  private readonly maxBatch: number;
  private readonly concurrency: number;

  constructor(
    private readonly store: Store,
    private readonly now: () => number,
    options: GroupCommitOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 4096;
    this.concurrency = options.concurrency ?? 1;
  }

  /** Queues a debit; resolves with its outcome once the batch holding it has committed. */
  debit(debit: UsageDebit): Promise<UsageOutcome> {
    return new Promise((resolve, reject) => {
      this.queue.push({ debit, resolve, reject });
      this.schedule();
    });
  }

  /** Resolves when every debit queued so far has committed (or failed). */
  drain(): Promise<void> {
    if (this.queue.length === 0 && this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.concurrency) return;
    this.scheduled = true;
    // setImmediate runs after the current I/O phase, so every request parsed in it joins this batch.
    setImmediate(() => {
      this.scheduled = false;
      this.startBatches();
    });
  }

  private startBatches(): void {
    while (this.queue.length > 0 && this.inFlight < this.concurrency) {
      const batch = this.queue.length <= this.maxBatch ? this.queue : this.queue.slice(0, this.maxBatch);
      this.queue = this.queue.length <= this.maxBatch ? [] : this.queue.slice(this.maxBatch);
      this.inFlight += 1;
      void this.commit(batch);
    }
  }

  private async commit(batch: Pending[]): Promise<void> {
    try {
      const outcomes = await this.store.commitUsage(
        batch.map((pending) => pending.debit),
        this.now(),
      );
      batch.forEach((pending, index) => {
        const outcome = outcomes[index];
        if (outcome) pending.resolve(outcome);
        else pending.reject(new Error('the store answered fewer outcomes than debits'));
      });
    } catch (error) {
      // The transaction rolled back as a whole: nothing of this batch was recorded.
      for (const pending of batch) pending.reject(error);
    } finally {
      this.inFlight -= 1;
      if (this.queue.length > 0) this.startBatches();
      else if (this.inFlight === 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const wake of waiters) wake();
      }
    }
  }
}
