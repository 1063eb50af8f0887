/**
 * A local, stateful Stripe emulator that the official SDKs talk to unchanged.
 *
 * @example
 * ```ts
 * const emulator = await startEmulator({ port: 0 });
 * const stripe = new Stripe(emulator.secretKey, emulator.stripeConfig());
 * await stripe.customers.create({ email: 'a@example.com' });
 * await emulator.close();
 * ```
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import { billingScheduler } from './billing/scheduler.js';
import { registerControl } from './control.js';
import {
  type AfterFinalRetry,
  API_VERSION,
  DEFAULT_SETTINGS,
  Engine,
  type EngineSnapshot,
} from './engine.js';
import type { FaultInput, FaultRule } from './faults.js';
import { registerCheckoutPage } from './hosted/checkout-page.js';
import { registerInvoicePages } from './hosted/invoice-page.js';
import { registerPortalPage } from './hosted/portal-page.js';
import { IdempotencyCache } from './idempotency.js';
import { randomToken } from './ids.js';
import { registerBillingPortal } from './resources/billing-portal.js';
import { registerCheckout } from './resources/checkout.js';
import { registerCustomers } from './resources/customers.js';
import { createWebhookEndpoint, registerEvents } from './resources/events.js';
import { registerInvoiceItems } from './resources/invoice-items.js';
import { registerInvoices } from './resources/invoices.js';
import { registerMeters } from './resources/meters.js';
import { registerPaymentIntents } from './resources/payment-intents.js';
import { registerPaymentMethods } from './resources/payment-methods.js';
import { registerPrices } from './resources/prices.js';
import { registerProducts } from './resources/products.js';
import { registerSetupIntents } from './resources/setup-intents.js';
import { registerSubscriptionItems } from './resources/subscription-items.js';
import { registerSubscriptions } from './resources/subscriptions.js';
import { registerTestClocks } from './resources/test-clocks.js';
import { type ApiHandler, type PageHandler, Router } from './router.js';
import { createRequestListener } from './server.js';
import type { StripeEvent, WebhookEndpoint } from './types.js';
import { DEFAULT_WEBHOOK_RETRY, type DeliveryRecord, type WebhookRetryOptions } from './webhooks.js';

export { API_VERSION } from './engine.js';
export type { FaultInput, FaultRule } from './faults.js';
export type { DeliveryRecord, WebhookRetryOptions } from './webhooks.js';
export { signPayload } from './webhooks.js';

export interface EmulatorOptions {
  /** Port to listen on; 0 (the default) picks a free one. */
  port?: number;
  /** Interface to bind (default 127.0.0.1). */
  host?: string;
  /** Base URL used in hosted page links (`checkout.session.url`, `hosted_invoice_url`); default the listen URL. */
  publicUrl?: string;
  /** Key reported for clients; any `sk_test_...` key is accepted. */
  secretKey?: string;
  /** Secret that endpoints sign with unless given their own (default a fresh `whsec_...`). */
  webhookSecret?: string;
  /** Backoff for failed webhook deliveries. */
  webhookRetry?: Partial<WebhookRetryOptions>;
  /** Days after the first failed renewal charge on which the invoice is retried (default [3, 5, 7]). */
  retryInvoicesSchedule?: number[];
  /** Subscription status after the last retry fails (default 'cancel'). */
  afterFinalRetry?: AfterFinalRetry;
  /** Delay between a renewal invoice's creation and its finalization (default 3600 s, as Stripe). */
  invoiceFinalizeDelaySeconds?: number;
  /** JSON file to load state from on start and save to on change and close. */
  persistPath?: string;
  /** Endpoints registered at start. */
  webhookEndpoints?: Array<{ url: string; enabledEvents?: string[]; secret?: string }>;
  /** Seed for rate-based fault injection (default 1). */
  faultSeed?: number;
  /** Clock for objects outside test clocks, in Unix seconds (default wall clock). */
  now?: () => number;
  /** How often (ms) to run renewals for objects outside test clocks; 0 disables the timer (default 1000). */
  tickIntervalMs?: number;
}

export interface Emulator {
  /** Base URL, e.g. `http://127.0.0.1:12111`. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly secretKey: string;
  readonly webhookSecret: string;
  readonly apiVersion: string;
  /** Options for `new Stripe(key, emulator.stripeConfig())`. */
  stripeConfig(): { host: string; port: number; protocol: 'http' };
  /** Registers a webhook endpoint (all events unless `enabledEvents` is given); returns it with its secret. */
  addWebhookEndpoint(input: {
    url: string;
    enabledEvents?: string[];
    secret?: string;
  }): WebhookEndpoint & { secret: string };
  /** Resolves when pending test clock work is done and every webhook queue is empty. */
  settle(): Promise<void>;
  /** Events emitted so far, oldest first. */
  events(): StripeEvent[];
  deliveries(): DeliveryRecord[];
  injectFault(input: FaultInput): FaultRule;
  clearFaults(): void;
  /** Moves emulator time (objects outside test clocks) forward and runs what became due. */
  advanceTime(seconds: number): void;
  reset(): void;
  summary(): EmulatorSummary;
  /** Writes the state to `persistPath` now (no-op without one). */
  save(): Promise<void>;
  close(): Promise<void>;
}

export interface EmulatorSummary {
  url: string;
  apiVersion: string;
  now: number;
  objects: Record<string, number>;
  testClocks: Array<{ id: string; frozen_time: number; status: string }>;
  webhooks: { idle: boolean; deliveries: number; failures: number };
  faults: FaultRule[];
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const host = options.host ?? '127.0.0.1';
  const secretKey = options.secretKey ?? `sk_test_emulator_${randomToken(24)}`;
  const engine = new Engine({
    ...DEFAULT_SETTINGS,
    publicUrl: options.publicUrl ?? '',
    webhookSecret: options.webhookSecret ?? `whsec_${randomToken(32)}`,
    webhookRetry: { ...DEFAULT_WEBHOOK_RETRY, ...options.webhookRetry },
    retryInvoicesSchedule: options.retryInvoicesSchedule ?? DEFAULT_SETTINGS.retryInvoicesSchedule,
    afterFinalRetry: options.afterFinalRetry ?? DEFAULT_SETTINGS.afterFinalRetry,
    invoiceFinalizeDelaySeconds:
      options.invoiceFinalizeDelaySeconds ?? DEFAULT_SETTINGS.invoiceFinalizeDelaySeconds,
    faultSeed: options.faultSeed ?? DEFAULT_SETTINGS.faultSeed,
    now: options.now,
  });
  engine.addScheduler(billingScheduler);

  const api = new Router<ApiHandler>();
  for (const register of [
    registerCustomers,
    registerProducts,
    registerPrices,
    registerPaymentMethods,
    registerSetupIntents,
    registerPaymentIntents,
    registerInvoiceItems,
    registerSubscriptionItems,
    registerTestClocks,
    registerEvents,
    registerMeters,
    registerBillingPortal,
  ]) {
    register(api);
  }
  registerSubscriptions(api, engine);
  registerInvoices(api, engine);
  registerCheckout(api, engine);

  const pages = new Router<PageHandler>();
  registerCheckoutPage(pages);
  registerPortalPage(pages);
  registerInvoicePages(pages);

  const persistence = createPersistence(engine, options.persistPath);
  persistence.load();

  const idempotency = new IdempotencyCache();
  const control = new Router<PageHandler>();
  let emulator: Emulator | undefined;
  registerControl(control, {
    reset: () => emulator?.reset(),
    summary: () => emulator?.summary(),
  });

  const server = createServer(
    createRequestListener({ engine, api, pages, control, idempotency, afterChange: persistence.changed }),
  );
  engine.onDeferredChange = persistence.changed;
  await listen(server, options.port ?? 0, host);
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  engine.settings.publicUrl = options.publicUrl ?? url;

  for (const endpoint of options.webhookEndpoints ?? []) {
    createWebhookEndpoint(engine, {
      url: endpoint.url,
      enabledEvents: endpoint.enabledEvents ?? ['*'],
      secret: endpoint.secret,
    });
  }

  const tickMs = options.tickIntervalMs ?? 1000;
  const ticker =
    tickMs > 0 ? setInterval(() => engine.withRequest(null, () => engine.runRealTime()), tickMs) : undefined;
  ticker?.unref();

  emulator = {
    url,
    host,
    port,
    secretKey,
    webhookSecret: engine.settings.webhookSecret,
    apiVersion: API_VERSION,
    stripeConfig: () => ({ host, port, protocol: 'http' }),
    addWebhookEndpoint(input) {
      const endpoint = createWebhookEndpoint(engine, {
        url: input.url,
        enabledEvents: input.enabledEvents ?? ['*'],
        secret: input.secret,
      });
      persistence.changed();
      return { ...endpoint, secret: String(engine.store.note(endpoint.id).secret) };
    },
    async settle() {
      for (let round = 0; round < 1000; round += 1) {
        if (!engine.hasDeferredWork() && engine.webhooks.isIdle()) return;
        if (engine.hasDeferredWork()) await new Promise((resolve) => setTimeout(resolve, 5));
        else await engine.webhooks.idle();
      }
    },
    events: () => engine.store.all('event'),
    deliveries: () => [...engine.webhooks.log],
    injectFault: (input) => engine.faults.add(input),
    clearFaults: () => engine.faults.clear(),
    advanceTime(seconds) {
      engine.timeOffset += seconds;
      engine.withRequest(null, () => engine.runRealTime());
    },
    reset() {
      engine.reset();
      idempotency.clear();
      persistence.changed();
    },
    summary() {
      const failures = engine.webhooks.log.filter(
        (record) => record.status === null || record.status >= 300,
      ).length;
      return {
        url,
        apiVersion: API_VERSION,
        now: engine.realNow(),
        objects: engine.store.counts(),
        testClocks: engine.store
          .all('test_helpers.test_clock')
          .map((clock) => ({ id: clock.id, frozen_time: clock.frozen_time, status: clock.status })),
        webhooks: { idle: engine.webhooks.isIdle(), deliveries: engine.webhooks.log.length, failures },
        faults: engine.faults.list(),
      };
    },
    save: () => persistence.flush(),
    async close() {
      if (ticker) clearInterval(ticker);
      engine.webhooks.stop();
      await persistence.flush();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
  return emulator;
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Saves state to a JSON file shortly after changes (debounced) and on close; loads it on start. */
function createPersistence(engine: Engine, path: string | undefined) {
  let savedVersion = -1;
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> = Promise.resolve();
  const flush = async (): Promise<void> => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (path === undefined || engine.store.version === savedVersion) return writing;
    savedVersion = engine.store.version;
    const snapshot = JSON.stringify(engine.snapshot());
    writing = writing.then(async () => {
      await mkdir(dirname(path), { recursive: true });
      // Write then rename, so a crash never leaves half a file.
      await writeFile(`${path}.tmp`, snapshot);
      await rename(`${path}.tmp`, path);
    });
    return writing;
  };
  return {
    load(): void {
      if (path === undefined || !existsSync(path)) return;
      const snapshot = JSON.parse(readFileSync(path, 'utf8')) as EngineSnapshot;
      engine.restore(snapshot);
      savedVersion = engine.store.version;
    },
    changed: (): void => {
      if (path === undefined || engine.store.version === savedVersion || timer) return;
      timer = setTimeout(() => void flush(), 100);
      timer.unref();
    },
    flush,
  };
}
