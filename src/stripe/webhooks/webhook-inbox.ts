/**
 * The Stripe webhook inbox: verify -> record by event id -> apply -> answer (DESIGN section 4).
 *
 * - The signature is checked on the raw body against every configured secret (several while a secret
 *   is rotated), with Stripe's 300 s tolerance measured on the real clock: the `t=` Stripe signs is
 *   when it sent the request, which a test clock does not move. Bad or stale: 400, nothing stored.
 * - The event is stored by its id first. A duplicate of a processed event answers 200 and does
 *   nothing; an event that failed before (or was left half-done by a crash) is applied again, which
 *   is safe because every handler's writes are idempotent and stamped with the event's time.
 * - Events of one Stripe customer are applied one at a time in this process, so two deliveries never
 *   interleave their reads and writes of the same account.
 * - A handler that throws marks the event failed and answers 500, so Stripe retries it.
 * - Notifications go out after the handler succeeded and before the event is marked processed:
 *   at least once (a crash in between repeats them), never for an event that did not apply.
 */
import type Stripe from 'stripe';
import type { WebhookEventRecord } from '../../core/billing/billing-records.js';
import { silentNotifier } from '../../core/notifications/notifier.js';
import { handlerRegistry } from './handler-registry.js';
import { idOf } from './stripe-snapshots.js';
import { HandlerContext, type WebhookDependencies, type WebhookHandler } from './webhook-context.js';

export const SIGNATURE_TOLERANCE_SECONDS = 300;

export interface WebhookInboxOptions extends WebhookDependencies {
  /** Signing secrets (`whsec_...`); an event verified by any one is accepted. */
  secrets: readonly string[];
  toleranceSeconds?: number;
  handlers?: readonly WebhookHandler[];
}

export interface InboxAnswer {
  status: 200 | 400 | 500;
  body: { received: true; duplicate?: boolean; outcome?: string } | { error: string; message: string };
}

export interface WebhookInbox {
  /** Handles one delivery as received over HTTP. */
  receive(rawBody: Buffer | string, signatureHeader: string | undefined): Promise<InboxAnswer>;
  /** Applies a stored event again, whatever its status (the admin's replay). Undefined when unknown. */
  replay(eventId: string): Promise<WebhookEventRecord | undefined>;
  /** Resolves when no event is being applied. */
  idle(): Promise<void>;
}

/** `STRIPE_WEBHOOK_SECRET` may list several secrets, comma-separated, while one is being rotated. */
export function parseWebhookSecrets(value: string | null | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((secret) => secret.trim())
    .filter((secret) => secret.length > 0);
}

/** Serialises work per key; different keys run concurrently. */
function keyedQueue() {
  const tails = new Map<string, Promise<unknown>>();
  return async function run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = tails.get(key) ?? Promise.resolve();
    const next = previous.then(work, work);
    const tail = next.catch(() => {});
    tails.set(key, tail);
    void tail.then(() => {
      if (tails.get(key) === tail) tails.delete(key);
    });
    return next;
  };
}

/** The Stripe customer an event is about, to order its events; the event id when there is none. */
function orderingKey(event: Stripe.Event): string {
  const object = event.data.object as { object?: string; id?: string; customer?: unknown };
  if (object.object === 'customer' && object.id) return object.id;
  return idOf(object.customer as string | { id: string } | null | undefined) ?? event.id;
}

const errorText = (error: unknown): string =>
  (error instanceof Error ? error.message : String(error)).slice(0, 1000);

/**
 * @example
 * const inbox = createWebhookInbox({ tollgate, stripe, secrets: parseWebhookSecrets(config.STRIPE_WEBHOOK_SECRET),
 *   prices: () => buildPriceIndex(catalog, config.stripePriceIds) });
 * const answer = await inbox.receive(request.rawBody, request.headers['stripe-signature']);
 */
export function createWebhookInbox(options: WebhookInboxOptions): WebhookInbox {
  if (options.secrets.length === 0) throw new Error('the webhook inbox needs at least one signing secret');
  const registry = handlerRegistry(options.handlers);
  const tolerance = options.toleranceSeconds ?? SIGNATURE_TOLERANCE_SECONDS;
  const { tollgate, stripe } = options;
  const notifier = options.notifier ?? silentNotifier;
  const onError = options.onError ?? (() => {});
  const serial = keyedQueue();
  const inFlight = new Set<string>();
  const running = new Set<Promise<unknown>>();

  function verify(rawBody: Buffer | string, header: string | undefined): Stripe.Event | undefined {
    if (!header) return undefined;
    for (const secret of options.secrets) {
      try {
        return stripe.webhooks.constructEvent(rawBody, header, secret, tolerance);
      } catch {
        // Try the next secret: during rotation Stripe signs with each, and one of them is ours.
      }
    }
    return undefined;
  }

  async function apply(event: Stripe.Event): Promise<'processed' | 'ignored'> {
    const handler = registry.get(event.type);
    let result: 'applied' | 'ignored' = 'ignored';
    if (handler) {
      const context = new HandlerContext(options, event);
      result = await serial(orderingKey(event), () => handler.handle(context));
      for (const notification of context.notifications) {
        try {
          await notifier.notify(notification);
        } catch (error) {
          onError(`notification ${notification.type} for ${notification.customerId} failed`, error);
        }
      }
    }
    await tollgate.store.markWebhookEvent(event.id, { status: 'processed', at: tollgate.clock.now() });
    return result === 'applied' ? 'processed' : 'ignored';
  }

  async function applyTracked(event: Stripe.Event): Promise<InboxAnswer> {
    inFlight.add(event.id);
    const work = apply(event);
    running.add(work);
    try {
      const outcome = await work;
      options.metrics?.recordWebhook(
        event.type,
        outcome,
        (tollgate.clock.now() - event.created * 1000) / 1000,
      );
      return { status: 200, body: { received: true, outcome } };
    } catch (error) {
      options.metrics?.recordWebhook(event.type, 'failed');
      onError(`webhook ${event.id} (${event.type}) failed`, error);
      await tollgate.store
        .markWebhookEvent(event.id, { status: 'failed', error: errorText(error), at: tollgate.clock.now() })
        .catch((markError: unknown) => onError(`could not mark ${event.id} failed`, markError));
      return { status: 500, body: { error: 'internal', message: 'The event could not be applied; retry.' } };
    } finally {
      inFlight.delete(event.id);
      running.delete(work);
    }
  }

  return {
    async receive(rawBody, signatureHeader) {
      const event = verify(rawBody, signatureHeader);
      if (!event) {
        return {
          status: 400,
          body: {
            error: 'invalid_request',
            message: 'The Stripe-Signature header does not verify against this body, or is too old.',
          },
        };
      }
      const payload = typeof rawBody === 'string' ? rawBody : rawBody.toString('utf8');
      const { isNew, event: stored } = await tollgate.store.recordWebhookEvent({
        id: event.id,
        type: event.type,
        created: event.created * 1000,
        receivedAt: tollgate.clock.now(),
        payload,
      });
      if (!isNew && (stored.status === 'processed' || inFlight.has(event.id))) {
        options.metrics?.recordWebhook(event.type, 'duplicate');
        return { status: 200, body: { received: true, duplicate: true } };
      }
      return applyTracked(event);
    },

    async replay(eventId) {
      const stored = await tollgate.store.getWebhookEvent(eventId);
      if (!stored) return undefined;
      await applyTracked(JSON.parse(stored.payload) as Stripe.Event);
      return tollgate.store.getWebhookEvent(eventId);
    },

    async idle() {
      while (running.size > 0) await Promise.allSettled([...running]);
    },
  };
}
