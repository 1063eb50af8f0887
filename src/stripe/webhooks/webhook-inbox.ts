/**
 * The Stripe webhook inbox: verify -> record by event id -> apply -> answer (DESIGN section 4).
 *
 * - The signature is checked on the raw body against every configured secret (several while a secret
 *   is rotated), with Stripe's 300 s tolerance measured on the real clock: the `t=` Stripe signs is
 *   when it sent the request, which a test clock does not move. Bad or stale: 400, nothing stored.
 * - The body is parsed once, after the bytes verify (nothing unsigned is parsed), and checked for
 *   shape (`event-shape.ts`); bytes that verify but are not such an event: 400, nothing stored.
 * - A delivery commits whole in one store transaction: the event stored by id, every write its
 *   handler made (held until then, delivery-writes.ts) and its status, together. Deliveries reaching
 *   their commit at the same time share one transaction (group commit, delivery-committer.ts); each
 *   is answered once its transaction committed, and one that cannot be written fails alone. A
 *   duplicate of a processed event answers 200 and does nothing; an event that failed before is
 *   applied again. A crash mid-apply leaves nothing half-written, so Stripe's retry applies it whole.
 * - Events of one Stripe customer are applied one at a time in this process, so two deliveries never
 *   interleave their reads and writes of the same account.
 * - A handler that throws commits nothing of its writes, stores the event as failed and answers 500,
 *   so Stripe retries it.
 * - Notifications go out after the delivery committed and before the event is marked processed (a
 *   second, small write, only for events that notify): at least once (a crash in between repeats
 *   them), never for an event that did not apply.
 */
import type Stripe from 'stripe';
import type { WebhookEventRecord } from '../../core/billing/billing-records.js';
import { silentNotifier } from '../../core/notifications/notifier.js';
import { type DeliveryCommitOptions, DeliveryCommitter } from './delivery-committer.js';
import { stripeEventShape } from './event-shape.js';
import { handlerRegistry } from './handler-registry.js';
import { verifyStripeSignature } from './stripe-signature.js';
import { idOf } from './stripe-snapshots.js';
import { HandlerContext, type WebhookDependencies, type WebhookHandler } from './webhook-context.js';

export const SIGNATURE_TOLERANCE_SECONDS = 300;

export interface WebhookInboxOptions extends WebhookDependencies {
  /** Signing secrets (`whsec_...`); an event verified by any one is accepted. */
  secrets: readonly string[];
  toleranceSeconds?: number;
  handlers?: readonly WebhookHandler[];
  /** How deliveries share transactions (delivery-committer.ts); one writer, 256 a batch by default. */
  commit?: DeliveryCommitOptions;
}

export interface InboxAnswer {
  status: 200 | 400 | 500;
  body:
    | { received: true; duplicate?: boolean; outcome?: string }
    /** `path`: what was wrong, for a 400 (`stripe-signature`, or the body's field). */
    | { error: string; message: string; path?: string };
}

export interface WebhookInbox {
  /**
   * Handles one delivery as received over HTTP: the bytes are verified, then parsed once. `parsed`,
   * when a caller already has the body parsed from these bytes, is used instead (trusted only once
   * the bytes verify, and checked for shape like a body parsed here).
   */
  receive(
    rawBody: Buffer | string,
    signatureHeader: string | undefined,
    parsed?: unknown,
  ): Promise<InboxAnswer>;
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
  const { tollgate } = options;
  const notifier = options.notifier ?? silentNotifier;
  const onError = options.onError ?? (() => {});
  const serial = keyedQueue();
  const committer = new DeliveryCommitter(tollgate.store, options.commit);
  const inFlight = new Set<string>();
  const running = new Set<Promise<unknown>>();

  /** Whether the bytes verify against one of the secrets (nothing parsed: the HMAC covers the bytes). */
  const verified = (payload: Buffer | string, header: string | undefined): boolean =>
    verifyStripeSignature({
      payload,
      header,
      secrets: options.secrets,
      toleranceSeconds: tolerance,
      nowSeconds: Math.floor(Date.now() / 1000),
    });

  /**
   * Applies the event and commits it with everything it wrote in one store transaction. Events of one
   * Stripe customer run one at a time, commit included, so each reads what the previous committed.
   */
  async function apply(
    event: Stripe.Event,
    payload: string,
    reapply: boolean,
  ): Promise<'processed' | 'ignored' | 'duplicate'> {
    const record = {
      id: event.id,
      type: event.type,
      created: event.created * 1000,
      receivedAt: tollgate.clock.now(),
      payload,
    };
    const handler = registry.get(event.type);
    if (!handler) {
      const { duplicate } = await committer.commit({
        event: record,
        writes: [],
        outcome: { status: 'processed', at: tollgate.clock.now() },
        reapply,
      });
      return duplicate ? 'duplicate' : 'ignored';
    }
    const context = new HandlerContext(options, event);
    const { result, duplicate } = await serial(orderingKey(event), async () => {
      const result = await handler.handle(context);
      // With notifications to send, the event is marked processed only after they went out (below).
      const status = context.notifications.length > 0 ? 'received' : 'processed';
      const committed = await committer.commit({
        event: record,
        writes: context.delivery.writes,
        outcome: { status, at: tollgate.clock.now() },
        reapply,
      });
      return { result, duplicate: committed.duplicate };
    });
    if (duplicate) return 'duplicate';
    for (const customerId of context.changedCustomers) await tollgate.invalidateCustomer(customerId);
    if (context.notifications.length > 0) {
      for (const notification of context.notifications) {
        try {
          await notifier.notify(notification);
        } catch (error) {
          onError(`notification ${notification.type} for ${notification.customerId} failed`, error);
        }
      }
      await tollgate.store.markWebhookEvent(event.id, { status: 'processed', at: tollgate.clock.now() });
    }
    return result === 'applied' ? 'processed' : 'ignored';
  }

  async function applyTracked(event: Stripe.Event, payload: string, reapply = false): Promise<InboxAnswer> {
    inFlight.add(event.id);
    const work = apply(event, payload, reapply);
    running.add(work);
    try {
      const outcome = await work;
      if (outcome === 'duplicate') {
        options.metrics?.recordWebhook(event.type, 'duplicate');
        return { status: 200, body: { received: true, duplicate: true } };
      }
      options.metrics?.recordWebhook(
        event.type,
        outcome,
        (tollgate.clock.now() - event.created * 1000) / 1000,
      );
      return { status: 200, body: { received: true, outcome } };
    } catch (error) {
      options.metrics?.recordWebhook(event.type, 'failed');
      onError(`webhook ${event.id} (${event.type}) failed`, error);
      // Nothing the handler wrote was committed: the event is stored as failed, for the retry.
      await committer
        .commit({
          event: {
            id: event.id,
            type: event.type,
            created: event.created * 1000,
            receivedAt: tollgate.clock.now(),
            payload,
          },
          writes: [],
          outcome: { status: 'failed', error: errorText(error), at: tollgate.clock.now() },
          reapply,
        })
        .catch((markError: unknown) => onError(`could not mark ${event.id} failed`, markError));
      return { status: 500, body: { error: 'internal', message: 'The event could not be applied; retry.' } };
    } finally {
      inFlight.delete(event.id);
      running.delete(work);
    }
  }

  return {
    async receive(rawBody, signatureHeader, parsed) {
      if (!verified(rawBody, signatureHeader)) {
        return {
          status: 400,
          body: {
            error: 'invalid_request',
            message: 'The Stripe-Signature header does not verify against this body, or is too old.',
            path: 'stripe-signature',
          },
        };
      }
      // Decoded once, as the store keeps it; parsed once, here unless the caller already had it parsed.
      const payload = typeof rawBody === 'string' ? rawBody : rawBody.toString('utf8');
      const read = readEvent(parsed, payload);
      if (!('event' in read)) return { status: 400, body: { error: 'invalid_request', ...read } };
      const { event } = read;
      const duplicate = () => {
        options.metrics?.recordWebhook(event.type, 'duplicate');
        return { status: 200 as const, body: { received: true as const, duplicate: true } };
      };
      if (inFlight.has(event.id)) return duplicate();
      if ((await tollgate.store.getWebhookEventStatus(event.id)) === 'processed') return duplicate();
      return applyTracked(event, payload);
    },

    async replay(eventId) {
      const stored = await tollgate.store.getWebhookEvent(eventId);
      if (!stored) return undefined;
      await applyTracked(JSON.parse(stored.payload) as Stripe.Event, stored.payload, true);
      return tollgate.store.getWebhookEvent(eventId);
    },

    async idle() {
      while (running.size > 0) await Promise.allSettled([...running]);
    },
  };
}

/** The verified body as an event, or what is wrong with it. */
function readEvent(
  parsed: unknown,
  payload: string,
): { event: Stripe.Event } | { message: string; path: string } {
  let body = parsed;
  if (body === undefined) {
    try {
      body = JSON.parse(payload);
    } catch {
      return { message: 'The body is not valid JSON.', path: 'body' };
    }
  }
  const checked = stripeEventShape.safeParse(body);
  if (checked.success) return { event: body as Stripe.Event };
  const issue = checked.error.issues[0];
  return {
    message: issue?.message ?? 'The body is not a Stripe event.',
    path: ['body', ...(issue?.path ?? [])].join('.'),
  };
}
