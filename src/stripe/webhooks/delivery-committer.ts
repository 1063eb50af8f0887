/**
 * Group commit for webhook deliveries: every delivery that reaches its commit while another batch is
 * being written (or in the same turn of the event loop) waits for the next transaction, and all of
 * them share it (`Store.applyWebhookDeliveries`). On SQLite a commit writes the WAL frames of every
 * page the transaction touched; one per delivery was about a third of a delivery's CPU, and most of
 * those pages (the event table's last leaf and its index, the version table) are the same ones for
 * the next delivery. The pattern is the usage path's (`core/ledger/group-commit.ts`).
 *
 * - A caller's promise resolves only after its delivery committed: Stripe is answered 200 for a
 *   durable event, never for one in memory.
 * - A failure concerns only its own delivery: when a batch's transaction fails (nothing of it was
 *   written), its deliveries are committed again one at a time, in order, so the one that cannot be
 *   written rejects and the others commit as they would have alone.
 * - Deliveries commit in the order they arrived, so a later one sees what an earlier one wrote (two
 *   deliveries of one event id in a batch: the second is a duplicate).
 */
import type { WebhookDelivery } from '../../core/billing/billing-records.js';
import type { Customer, Store } from '../../core/ports.js';

export interface DeliveryCommit {
  duplicate: boolean;
  customers: Customer[];
}

export interface DeliveryCommitOptions {
  /** Most deliveries in one transaction. */
  maxBatch?: number;
  /**
   * Transactions written at once: 1 on SQLite (one writer anyway); PostgreSQL can take a few, each on
   * its own connection.
   */
  concurrency?: number;
  /** Told of every transaction written, with its number of deliveries (metrics, tests). */
  onCommit?: (deliveries: number) => void;
}

interface Pending {
  delivery: WebhookDelivery;
  resolve: (commit: DeliveryCommit) => void;
  reject: (error: unknown) => void;
}

export const DEFAULT_DELIVERY_BATCH = 256;

export class DeliveryCommitter {
  private queue: Pending[] = [];
  private inFlight = 0;
  private scheduled = false;
  private readonly maxBatch: number;
  private readonly concurrency: number;

  constructor(
    private readonly store: Pick<Store, 'applyWebhookDeliveries'>,
    private readonly options: DeliveryCommitOptions = {},
  ) {
    this.maxBatch = Math.max(1, options.maxBatch ?? DEFAULT_DELIVERY_BATCH);
    this.concurrency = Math.max(1, options.concurrency ?? 1);
  }

  /** Queues a delivery; resolves once the transaction holding it committed. */
  commit(delivery: WebhookDelivery): Promise<DeliveryCommit> {
    return new Promise((resolve, reject) => {
      this.queue.push({ delivery, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.concurrency) return;
    this.scheduled = true;
    // setImmediate runs after the current I/O phase, so every delivery that reached its commit
    // while the requests read in that phase were handled joins this batch.
    setImmediate(() => {
      this.scheduled = false;
      while (this.queue.length > 0 && this.inFlight < this.concurrency) {
        const batch = this.queue.splice(0, this.maxBatch);
        this.inFlight += 1;
        void this.write(batch).finally(() => {
          this.inFlight -= 1;
          if (this.queue.length > 0) this.schedule();
        });
      }
    });
  }

  private async write(batch: Pending[]): Promise<void> {
    try {
      const commits = await this.transaction(batch);
      for (const [index, pending] of batch.entries()) pending.resolve(commits[index] as DeliveryCommit);
      return;
    } catch (error) {
      if (batch.length === 1) {
        (batch[0] as Pending).reject(error);
        return;
      }
    }
    // The batch rolled back as a whole: one transaction per delivery, so only a failing one fails.
    for (const pending of batch) {
      try {
        const [commit] = await this.transaction([pending]);
        pending.resolve(commit as DeliveryCommit);
      } catch (error) {
        pending.reject(error);
      }
    }
  }

  private async transaction(batch: Pending[]): Promise<DeliveryCommit[]> {
    const commits = await this.store.applyWebhookDeliveries(batch.map((pending) => pending.delivery));
    if (commits.length < batch.length) throw new Error('the store answered fewer commits than deliveries');
    this.options.onCommit?.(batch.length);
    return commits;
  }
}
