/**
 * What becomes due as time passes: trial reminders and ends, renewals, scheduled cancellations, invoice
 * finalization after the draft hour, and payment retries. The engine asks for the earliest due time in
 * a scope (a test clock or emulator time) and runs everything due at that time, in order.
 */
import type { Engine, Scheduler } from '../engine.js';
import { DAY } from '../shapes.js';
import type { Invoice, Subscription } from '../types.js';
import { finalizeInvoice, payInvoice } from './invoicing.js';
import {
  cancelSubscriptionNow,
  emitUpdated,
  endTrial,
  renew,
  resumeSubscription,
  viewSnapshot,
} from './lifecycle.js';
import { noteOf, periodOf } from './subscription-model.js';

/** Stripe sends `customer.subscription.trial_will_end` three days before the trial ends. */
export const TRIAL_WILL_END_NOTICE = 3 * DAY;
/** An `incomplete` subscription whose first invoice is not paid expires after 23 hours. */
export const INCOMPLETE_EXPIRY = 23 * 3600;

interface Task {
  at: number;
  owner: string;
  run: () => void;
}

function tasksFor(engine: Engine, scope: string | null): Task[] {
  const tasks: Task[] = [];
  for (const subscription of engine.store.all('subscription')) {
    if (engine.clockOf(subscription as never) !== scope || failed(engine, subscription.id)) continue;
    tasks.push(...subscriptionTasks(engine, subscription));
  }
  for (const invoice of engine.store.all('invoice')) {
    if (engine.clockOf(invoice as never) !== scope || failed(engine, invoice.id)) continue;
    tasks.push(...invoiceTasks(engine, invoice));
  }
  return tasks;
}

/** An object whose task threw is left alone from then on, so one bad object cannot stall a clock. */
function failed(engine: Engine, id: string): boolean {
  return engine.store.note<{ schedulerError: string }>(id).schedulerError !== undefined;
}

function subscriptionTasks(engine: Engine, subscription: Subscription): Task[] {
  const note = noteOf(engine, subscription);
  const tasks: Task[] = [];
  switch (subscription.status) {
    case 'trialing': {
      const trialEnd = subscription.trial_end ?? 0;
      if (!note.trialWillEndSent) {
        tasks.push({
          owner: subscription.id,
          at: trialEnd - TRIAL_WILL_END_NOTICE,
          run: () => {
            engine.store.setNote(subscription.id, { trialWillEndSent: true });
            engine.emit('customer.subscription.trial_will_end', subscription);
          },
        });
      }
      tasks.push({
        owner: subscription.id,
        at: trialEnd,
        run: () => endTrial(engine, subscription, trialEnd, false),
      });
      break;
    }
    case 'incomplete':
      tasks.push({
        owner: subscription.id,
        at: subscription.created + INCOMPLETE_EXPIRY,
        run: () => {
          const before = viewSnapshot(engine, subscription);
          subscription.status = 'incomplete_expired';
          subscription.ended_at = subscription.created + INCOMPLETE_EXPIRY;
          engine.store.touch();
          emitUpdated(engine, subscription, before);
        },
      });
      break;
    case 'active':
    case 'past_due':
    case 'unpaid': {
      const { end } = periodOf(engine, subscription);
      const cancelAt = subscription.cancel_at;
      if (cancelAt !== null && cancelAt <= end) {
        tasks.push({
          owner: subscription.id,
          at: cancelAt,
          run: () => cancelSubscriptionNow(engine, subscription, 'cancellation_requested', cancelAt),
        });
      } else {
        tasks.push({ owner: subscription.id, at: end, run: () => renew(engine, subscription, end) });
      }
      const resumesAt = subscription.pause_collection?.resumes_at;
      if (resumesAt) {
        tasks.push({
          owner: subscription.id,
          at: resumesAt,
          run: () => {
            const before = viewSnapshot(engine, subscription);
            subscription.pause_collection = null;
            engine.store.touch();
            emitUpdated(engine, subscription, before);
          },
        });
      }
      break;
    }
    case 'paused': {
      const resumesAt = subscription.pause_collection?.resumes_at;
      if (resumesAt)
        tasks.push({
          owner: subscription.id,
          at: resumesAt,
          run: () => resumeSubscription(engine, subscription, resumesAt),
        });
      break;
    }
    default:
      break;
  }
  return tasks;
}

function invoiceTasks(engine: Engine, invoice: Invoice): Task[] {
  if (invoice.status === 'draft' && invoice.auto_advance && invoice.automatically_finalizes_at !== null) {
    return [
      {
        owner: invoice.id,
        at: invoice.automatically_finalizes_at,
        run: () => {
          finalizeInvoice(engine, invoice);
          if (invoice.status === 'open' && invoice.collection_method === 'charge_automatically') {
            payInvoice(engine, invoice, { automatic: true });
          }
        },
      },
    ];
  }
  if (
    invoice.status === 'open' &&
    invoice.next_payment_attempt !== null &&
    invoice.collection_method === 'charge_automatically'
  ) {
    return [
      {
        owner: invoice.id,
        at: invoice.next_payment_attempt,
        run: () => payInvoice(engine, invoice, { automatic: true }),
      },
    ];
  }
  return [];
}

export const billingScheduler: Scheduler = {
  nextDue(engine, scope) {
    let next: number | undefined;
    for (const task of tasksFor(engine, scope)) {
      if (next === undefined || task.at < next) next = task.at;
    }
    return next;
  },
  runDue(engine, scope, now) {
    // Run the earliest due task only; the engine asks again, so later tasks see its effects.
    const due = tasksFor(engine, scope)
      .filter((task) => task.at <= now)
      .sort((a, b) => a.at - b.at);
    const task = due[0];
    if (task === undefined) return;
    try {
      task.run();
    } catch (error) {
      engine.store.setNote(task.owner, {
        schedulerError: error instanceof Error ? error.message : String(error),
      });
    }
  },
};
