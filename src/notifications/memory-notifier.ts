/** A notifier that keeps what it is told, for tests and the demo's admin view. */
import type { Notification, Notifier } from '../core/notifications/notifier.js';

export interface MemoryNotifier extends Notifier {
  readonly notifications: Notification[];
}

export function createMemoryNotifier(): MemoryNotifier {
  const notifications: Notification[] = [];
  return {
    notifications,
    async notify(notification) {
      notifications.push(notification);
    },
  };
}

/** Sends every notification to each notifier in turn; one failing does not stop the others. */
export function combineNotifiers(...notifiers: Notifier[]): Notifier {
  return {
    async notify(notification) {
      const results = await Promise.allSettled(notifiers.map((notifier) => notifier.notify(notification)));
      const failed = results.find((result) => result.status === 'rejected');
      if (failed) throw (failed as PromiseRejectedResult).reason;
    },
  };
}
