/**
 * The running service of `tollgate start` and `tollgate serve`: where the parts meet. The webhook
 * inbox, notifications, metrics, the meter sender and graceful shutdown are built here from the
 * runtime and handed to the server. The commands import this module only when they run, because it
 * loads Fastify and the service's other optional peers, which an app using only the middleware (and
 * the other commands) does not install.
 */
import type { Runtime } from '../config/open-runtime.js';
import { recordRevenueSnapshot } from '../core/billing/revenue-history.js';
import type { Notifier } from '../core/notifications/notifier.js';
import { createHttpNotifier } from '../notifications/http-notifier.js';
import { createLogNotifier } from '../notifications/log-notifier.js';
import { combineNotifiers } from '../notifications/memory-notifier.js';
import { notifyQuotaThresholds } from '../notifications/quota-notifications.js';
import { createSmtpNotifier } from '../notifications/smtp-notifier.js';
import { checkSuspensions } from '../notifications/suspension-notices.js';
import { createServer } from '../server/create-server.js';
import { ensureDashboard } from '../server/dashboard-build.js';
import { createMetrics, subscriptionsFromStore } from '../server/metrics.js';
import { installGracefulShutdown } from '../server/shutdown.js';
import { MeterSender } from '../stripe/metering/meter-sender.js';
import { type AdvanceTarget, advanceTestClock } from '../stripe/test-clock/advance-test-clock.js';
import { createWebhookInbox, parseWebhookSecrets } from '../stripe/webhooks/webhook-inbox.js';
import { seedDemo } from './seed-demo.js';

const SUSPENSION_CHECK_MS = 60_000;
/** How often the day's revenue snapshot (the admin console's MRR over time) is brought up to date. */
const REVENUE_SNAPSHOT_MS = 3_600_000;

function openNotifier(runtime: Runtime): Notifier {
  const { TOLLGATE_NOTIFY_URL: url, TOLLGATE_NOTIFY_SECRET: secret } = runtime.config;
  const { SMTP_URL: smtpUrl, SMTP_FROM: from, SMTP_TO: to } = runtime.config;
  const notifiers: Notifier[] = [createLogNotifier()];
  if (url && secret) notifiers.push(createHttpNotifier({ url, secret }));
  if (smtpUrl && from) {
    notifiers.push(
      createSmtpNotifier({
        url: smtpUrl,
        from,
        ...(to ? { to } : {}),
        recipientFor: async (customerId) => (await runtime.tollgate.getCustomer(customerId)).email,
      }),
    );
  }
  return notifiers.length === 1 ? notifiers[0]! : combineNotifiers(...notifiers);
}

export async function serve(runtime: Runtime, demo: boolean): Promise<void> {
  const { stripe, config, tollgate } = runtime;
  const gracePeriodMs = config.STRIPE_PAYMENT_GRACE_PERIOD_DAYS * 86_400_000;
  const metrics = createMetrics({ subscriptions: subscriptionsFromStore(runtime.store) });
  const notifier = openNotifier(runtime);
  const stopQuotaNotices = notifyQuotaThresholds(tollgate, notifier);
  const suspensionTimer = setInterval(
    () => void checkSuspensions(tollgate, notifier, gracePeriodMs).catch(() => {}),
    SUSPENSION_CHECK_MS,
  );
  suspensionTimer.unref();
  const snapshotTimer = setInterval(
    () => void recordRevenueSnapshot(tollgate).catch(() => {}),
    REVENUE_SNAPSHOT_MS,
  );
  snapshotTimer.unref();

  // Webhooks need a signing secret: STRIPE_WEBHOOK_SECRET, or the in-process emulator's.
  const secrets = parseWebhookSecrets(stripe.webhookSecret);
  const inbox =
    secrets.length > 0
      ? createWebhookInbox({
          tollgate,
          stripe: stripe.client,
          secrets,
          prices: stripe.prices,
          notifier,
          metrics,
          gracePeriodMs,
          ...(stripe.clockFollower ? { onTestClockReady: stripe.clockFollower.onTestClockReady } : {}),
        })
      : undefined;
  const testClock = stripe.testClock;
  const advanceClock =
    testClock && stripe.clockFollower
      ? (target: AdvanceTarget) =>
          advanceTestClock({
            stripe: stripe.client,
            store: runtime.store,
            clockId: testClock,
            target,
            follower: stripe.clockFollower ?? undefined,
          })
      : undefined;

  // Overage goes to Stripe Billing Meters only when asked for (it needs the overage prices on subscriptions).
  const meterSender = config.STRIPE_ENABLE_METERED_BILLING
    ? new MeterSender({
        stripe: stripe.client,
        store: runtime.store,
        clock: tollgate.clock,
        onError: (error) => process.stderr.write(`meter sender: ${String(error)}\n`),
      })
    : undefined;
  meterSender?.start();

  // The pages are rebuilt here when their sources changed since `npm install` built them.
  const pages = await ensureDashboard((line) => process.stderr.write(`${line}\n`));
  if (pages === 'missing')
    process.stderr.write('The billing pages are not built: /billing and /admin answer 503.\n');
  const app = createServer({
    tollgate,
    dashboard: { frameAncestors: config.TOLLGATE_FRAME_ANCESTORS ?? [] },
    publicUrl: config.PUBLIC_URL ?? null,
    billing: stripe.billing,
    ...(inbox
      ? { stripeWebhooks: inbox, adminBilling: { inbox, ...(advanceClock ? { advanceClock } : {}) } }
      : {}),
    metrics,
    metricsKey: config.TOLLGATE_METRICS_KEY ?? null,
    // The demo's console shows its banner, and only warnings and errors (LOG_LEVEL still wins).
    logger: true,
    logLevel: demo && !process.env.LOG_LEVEL ? 'warn' : config.LOG_LEVEL,
    demoRoutes: demo,
  });
  const address = await app.listen({ port: config.PORT, host: config.HOST });
  installGracefulShutdown({
    steps: [
      { name: 'HTTP server (in-flight requests finish)', run: () => app.close() },
      {
        name: 'background work',
        run: async () => {
          clearInterval(suspensionTimer);
          clearInterval(snapshotTimer);
          stopQuotaNotices();
          await meterSender?.stop();
        },
      },
      { name: 'engine (pending usage commits), store and counters', run: () => runtime.close() },
    ],
  });
  if (demo) process.stdout.write(await seedDemo(runtime, address));
  else process.stdout.write(`Tollgate listening on ${address}\n`);
}
