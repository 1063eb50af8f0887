/** The default notifier: one structured log line per notification (pino's `info(object, message)` fits). */
import type { Notifier } from '../core/notifications/notifier.js';

export interface NotificationLog {
  info(details: Record<string, unknown>, message: string): void;
}

const stderrLog: NotificationLog = {
  info: (details, message) => process.stderr.write(`${JSON.stringify({ message, ...details })}\n`),
};

export function createLogNotifier(log: NotificationLog = stderrLog): Notifier {
  return {
    async notify(notification) {
      log.info({ notification }, `notification ${notification.type} for ${notification.customerId}`);
    },
  };
}
