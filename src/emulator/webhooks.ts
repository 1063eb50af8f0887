/**
 * Signed webhook delivery: one ordered queue per endpoint, retries with exponential backoff.
 *
 * Each endpoint's queue delivers in event creation order and retries a failing delivery before moving on
 * (head-of-line), so a receiver sees events in order unless a reorder fault is injected. Backoff is
 * configurable so tests can use milliseconds where Stripe uses hours.
 */
import { createHmac } from 'node:crypto';
import type { Faults } from './faults.js';
import type { StripeEvent } from './types.js';

export interface WebhookRetryOptions {
  /** Total attempts per delivery, including the first (default 5). */
  maxAttempts: number;
  /** Delay before the first retry in ms (default 1000); later retries multiply by `factor`. */
  initialDelayMs: number;
  factor: number;
  maxDelayMs: number;
  /** How long to wait for the endpoint to answer (default 10000 ms). */
  timeoutMs: number;
}

export const DEFAULT_WEBHOOK_RETRY: WebhookRetryOptions = {
  maxAttempts: 5,
  initialDelayMs: 1000,
  factor: 2,
  maxDelayMs: 60_000,
  timeoutMs: 10_000,
};

export interface WebhookTarget {
  id: string;
  url: string;
  secret: string;
}

export interface DeliveryRecord {
  event: string;
  type: string;
  endpoint: string;
  attempt: number;
  status: number | null;
  error: string | null;
  at: number;
}

interface Job {
  event: StripeEvent;
  payload: string;
  attempt: number;
}

interface Queue {
  target: WebhookTarget;
  jobs: Job[];
  running: boolean;
  held: Job | undefined;
  heldTimer: NodeJS.Timeout | undefined;
}

/** `Stripe-Signature` value: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.payload">`. */
export function signPayload(
  payload: string,
  secret: string,
  timestamp = Math.floor(Date.now() / 1000),
): string {
  const signature = createHmac('sha256', secret).update(`${timestamp}.${payload}`, 'utf8').digest('hex');
  return `t=${timestamp},v1=${signature}`;
}

export class WebhookDispatcher {
  private queues = new Map<string, Queue>();
  private timers = new Set<NodeJS.Timeout>();
  private waiters: Array<() => void> = [];
  private stopped = false;
  readonly log: DeliveryRecord[] = [];

  constructor(
    private readonly faults: Faults,
    readonly retry: WebhookRetryOptions,
    private readonly onDelivered: (eventId: string) => void,
  ) {}

  enqueue(event: StripeEvent, targets: WebhookTarget[]): void {
    if (this.stopped) return;
    const payload = JSON.stringify(event, null, 2);
    for (const target of targets) {
      const queue = this.queueFor(target);
      const faults = this.faults.forWebhook(event.type);
      const job: Job = { event, payload, attempt: 0 };
      if (faults.some((rule) => rule.type === 'webhook_drop')) {
        this.record(job, target, null, 'dropped by fault injection');
        continue;
      }
      const copies = faults.some((rule) => rule.type === 'webhook_duplicate') ? 2 : 1;
      const reorder = faults.some((rule) => rule.type === 'webhook_reorder');
      for (let copy = 0; copy < copies; copy += 1) {
        if (reorder && copy === 0) {
          this.hold(queue, { ...job });
          continue;
        }
        queue.jobs.push({ ...job });
        this.releaseHeld(queue);
      }
      this.pump(queue);
    }
  }

  /** Resolves when every queue is empty and no retry is pending. */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  isIdle(): boolean {
    for (const queue of this.queues.values()) {
      if (queue.running || queue.jobs.length > 0 || queue.held !== undefined) return false;
    }
    return true;
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const queue of this.queues.values()) {
      if (queue.heldTimer) clearTimeout(queue.heldTimer);
      queue.jobs = [];
      queue.held = undefined;
    }
    this.notify();
  }

  clear(): void {
    for (const queue of this.queues.values()) {
      queue.jobs = [];
      queue.held = undefined;
    }
    this.log.length = 0;
  }

  private queueFor(target: WebhookTarget): Queue {
    let queue = this.queues.get(target.id);
    if (queue === undefined) {
      queue = { target, jobs: [], running: false, held: undefined, heldTimer: undefined };
      this.queues.set(target.id, queue);
    }
    queue.target = target;
    return queue;
  }

  /** A reordered event waits for the next one to the same endpoint (or 200 ms), then goes after it. */
  private hold(queue: Queue, job: Job): void {
    this.releaseHeld(queue);
    queue.held = job;
    queue.heldTimer = setTimeout(() => {
      queue.heldTimer = undefined;
      this.releaseHeld(queue);
      this.pump(queue);
    }, 200);
  }

  private releaseHeld(queue: Queue): void {
    if (queue.held === undefined) return;
    if (queue.heldTimer) clearTimeout(queue.heldTimer);
    queue.heldTimer = undefined;
    queue.jobs.push(queue.held);
    queue.held = undefined;
  }

  private pump(queue: Queue): void {
    if (queue.running || this.stopped) return;
    const job = queue.jobs[0];
    if (job === undefined) {
      this.notify();
      return;
    }
    queue.running = true;
    void this.attempt(queue, job);
  }

  private async attempt(queue: Queue, job: Job): Promise<void> {
    job.attempt += 1;
    const { target } = queue;
    let status: number | null = null;
    let error: string | null = null;
    try {
      const response = await fetch(target.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
          'stripe-signature': signPayload(job.payload, target.secret),
        },
        body: job.payload,
        signal: AbortSignal.timeout(this.retry.timeoutMs),
      });
      status = response.status;
      await response.arrayBuffer().catch(() => undefined);
    } catch (caught) {
      error = caught instanceof Error ? caught.message : String(caught);
    }
    if (this.stopped) return;
    this.record(job, target, status, error);
    const ok = status !== null && status >= 200 && status < 300;
    if (ok || job.attempt >= this.retry.maxAttempts) {
      queue.jobs.shift();
      if (ok) this.onDelivered(job.event.id);
      queue.running = false;
      this.pump(queue);
      return;
    }
    const delay = Math.min(
      this.retry.initialDelayMs * this.retry.factor ** (job.attempt - 1),
      this.retry.maxDelayMs,
    );
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.attempt(queue, job);
    }, delay);
    timer.unref();
    this.timers.add(timer);
  }

  private record(job: Job, target: WebhookTarget, status: number | null, error: string | null): void {
    this.log.push({
      event: job.event.id,
      type: job.event.type,
      endpoint: target.id,
      attempt: job.attempt,
      status,
      error,
      at: Date.now(),
    });
    if (this.log.length > 2000) this.log.splice(0, this.log.length - 2000);
  }

  private notify(): void {
    if (!this.isIdle() && !this.stopped) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }
}
