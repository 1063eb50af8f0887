/**
 * Notifications as signed HTTP webhooks to the app: a JSON POST with a `Tollgate-Signature` header in
 * Stripe's scheme (`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`), so the app verifies it the
 * way it already verifies Stripe, and a `Tollgate-Notification-Id` derived from the notification (the
 * same on every retry) for the app to deduplicate. Network errors, 429 and 5xx are retried with
 * exponential backoff; other 4xx answers are the app refusing, and are not.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Notification, Notifier } from '../core/notifications/notifier.js';

export interface HttpNotifierOptions {
  url: string;
  secret: string;
  /** Attempts in all (default 4). */
  attempts?: number;
  /** First retry delay in ms, doubled each time (default 500). */
  backoffMs?: number;
  timeoutMs?: number;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  /** Real time in ms, for the signature (default Date.now). */
  now?: () => number;
  /** Where a notification that could not be delivered is reported (default: a JSON line on stderr). */
  log?: (line: Record<string, unknown>) => void;
}

export function signNotification(body: string, secret: string, timestampSeconds: number): string {
  const signature = createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex');
  return `t=${timestampSeconds},v1=${signature}`;
}

/** For apps (and tests): true when some `v1` of the header signs `body` and `t` is within tolerance. */
export function verifyNotificationSignature(
  body: string,
  header: string,
  secret: string,
  toleranceSeconds = 300,
  nowSeconds = Math.floor(Date.now() / 1000),
): boolean {
  const parts = header.split(',').map((part) => part.split('=', 2) as [string, string | undefined]);
  const timestamp = Number(parts.find(([key]) => key === 't')?.[1]);
  if (!Number.isFinite(timestamp) || Math.abs(nowSeconds - timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from(signNotification(body, secret, timestamp).split('v1=')[1] ?? '', 'hex');
  return parts.some(([key, value]) => {
    if (key !== 'v1' || value === undefined) return false;
    const given = Buffer.from(value, 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

export function notificationId(notification: Notification): string {
  const key = `${notification.type}:${notification.customerId}:${notification.at}:${JSON.stringify(notification.data)}`;
  return `ntf_${createHash('sha256').update(key).digest('hex').slice(0, 24)}`;
}

export function createHttpNotifier(options: HttpNotifierOptions): Notifier {
  const send = options.fetch ?? fetch;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const now = options.now ?? Date.now;
  const attempts = options.attempts ?? 4;
  const log =
    options.log ??
    ((line: Record<string, unknown>) => void process.stderr.write(`${JSON.stringify(line)}\n`));
  return {
    async notify(notification) {
      const id = notificationId(notification);
      const body = JSON.stringify({ id, ...notification });
      let lastError: unknown;
      for (let attempt = 0; attempt < attempts; attempt += 1) {
        if (attempt > 0) await sleep((options.backoffMs ?? 500) * 2 ** (attempt - 1));
        try {
          const response = await send(options.url, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              'tollgate-signature': signNotification(body, options.secret, Math.floor(now() / 1000)),
              'tollgate-notification-id': id,
            },
            body,
            signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
          });
          if (response.ok) return;
          lastError = new Error(`notification webhook answered ${response.status}`);
          if (response.status !== 429 && response.status < 500) break;
        } catch (error) {
          lastError = error;
        }
      }
      // Never rejects: callers notify from webhook handlers and periodic checks, where one unreachable
      // endpoint must not fail the event or skip the other customers. The failure is logged instead.
      log({
        level: 'error',
        msg: 'notification webhook not delivered',
        notification_id: id,
        type: notification.type,
        attempts,
        error: lastError instanceof Error ? lastError.message : String(lastError),
      });
    },
  };
}
