/**
 * Group commit for usage debits. Every debit made while a commit is being written waits for the
 * next one, and all of them share it: one transaction (and one fsync) for many requests. A caller's
 * promise resolves only after its debit is durable, so "recorded" never means "in memory".
 *
 * A batch of debits (`debitMany`, one per event of a usage report) is one unit: one promise, and
 * never split across two commits, so its events are durable together or not at all.
 */
import type { Store, UsageDebit, UsageOutcome } from '../ports.js';

/** One caller's debits (one, or a batch's) and the promise waiting for their outcomes. */
interface Pending {
  debits: readonly UsageDebit[];
  /** True for `debit`: resolved with its one outcome rather than an array. */
  single: boolean;
  resolve: (outcomes: UsageOutcome[] | UsageOutcome) => void;
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
  /** Debits in `queue` (a batch's count as many). */
  private queued = 0;
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
    return this.enqueue([debit], true) as Promise<UsageOutcome>;
  }

  /**
   * Queues debits as one unit, decided in order in the same transaction; resolves with their
   * outcomes (in order) once it has committed, or rejects with nothing of them recorded.
   */
  debitMany(debits: readonly UsageDebit[]): Promise<UsageOutcome[]> {
    if (debits.length === 0) return Promise.resolve([]);
    return this.enqueue(debits, false) as Promise<UsageOutcome[]>;
  }

  private enqueue(debits: readonly UsageDebit[], single: boolean): Promise<UsageOutcome[] | UsageOutcome> {
    return new Promise((resolve, reject) => {
      this.queue.push({ debits, single, resolve, reject });
      this.queued += debits.length;
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
      let batch: Pending[];
      if (this.queued <= this.maxBatch) {
        batch = this.queue;
        this.queue = [];
        this.queued = 0;
      } else {
        // Whole units up to maxBatch debits (at least one unit, however large).
        let count = 0;
        let units = 0;
        for (const pending of this.queue) {
          if (units > 0 && count + pending.debits.length > this.maxBatch) break;
          count += pending.debits.length;
          units += 1;
        }
        batch = this.queue.slice(0, units);
        this.queue = this.queue.slice(units);
        this.queued -= count;
      }
      this.inFlight += 1;
      void this.commit(batch);
    }
  }

  private async commit(batch: Pending[]): Promise<void> {
    try {
      // The common case, one unit: its own array goes to the store as it is.
      const debits =
        batch.length === 1 ? (batch[0] as Pending).debits : batch.flatMap((pending) => pending.debits);
      const outcomes = await this.store.commitUsage(debits, this.now());
      if (outcomes.length < debits.length) throw new Error('the store answered fewer outcomes than debits');
      let offset = 0;
      for (const pending of batch) {
        const count = pending.debits.length;
        if (pending.single) pending.resolve(outcomes[offset] as UsageOutcome);
        else pending.resolve(batch.length === 1 ? outcomes : outcomes.slice(offset, offset + count));
        offset += count;
      }
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
