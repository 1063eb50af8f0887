/**
 * The `Notifier` port: how Tollgate tells the app (and through it, the customer) that something about
 * billing happened. The core and the webhook handlers only call `notify`; where it goes (a log line, a
 * signed HTTP webhook to the app, email) is chosen by the composition root (`src/notifications/`).
 */

export type NotificationType =
  | 'trial_ending'
  | 'payment_failed'
  | 'suspended'
  | 'reactivated'
  | 'quota_80'
  | 'quota_90'
  | 'quota_100';

export interface Notification {
  type: NotificationType;
  customerId: string;
  /** Facts for the message, JSON-serialisable (times in epoch ms, money in minor units). */
  data: Record<string, unknown>;
  /** When it happened, by the core's clock (epoch ms). */
  at: number;
}

export interface Notifier {
  /**
   * Delivers one notification. A rejection is a fault the caller logs; it never undoes what was
   * notified (a webhook that applied a payment failure stays applied when the email bounces).
   */
  notify(notification: Notification): Promise<void>;
}

/** A notifier that drops everything (the default where none is configured). */
export const silentNotifier: Notifier = { notify: async () => {} };
