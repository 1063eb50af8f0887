/**
 * Seeds the demo: one demo customer on the free plan with a key, and an admin key, created on every
 * start (keys are shown once and stored hashed, so a restart issues fresh ones). With the in-process
 * Stripe emulator it also registers the webhook endpoint, so what happens in Stripe (Checkout
 * completed, renewals, failed payments) flows back. Returns the text to print: the URLs, the keys
 * and a few curl lines to try, up to "upgrade through Checkout", then the billing page (a one-time link
 * asked of the running service, as an app would) and the admin console.
 */
import type { Runtime } from '../config/open-runtime.js';

/** Registers `${base}/api/v1/webhooks/stripe` with the emulator once (a restart finds it there). */
async function registerDemoWebhook(runtime: Runtime, base: string): Promise<string | null> {
  const { client, emulator } = runtime.stripe;
  if (!emulator) return null; // Real Stripe: the endpoint is configured in the Dashboard or with the CLI.
  const url = `${runtime.config.PUBLIC_URL ?? base}/api/v1/webhooks/stripe`;
  const existing = await client.webhookEndpoints.list({ limit: 100 });
  if (!existing.data.some((endpoint) => endpoint.url === url))
    await client.webhookEndpoints.create({ url, enabled_events: ['*'] });
  return url;
}

/** A one-time billing page link, asked of the running service with the customer's key. */
async function requestBillingLink(address: string, key: string): Promise<string | null> {
  try {
    const response = await fetch(`${address}/api/v1/billing/dashboard-link`, {
      method: 'POST',
      headers: { 'X-API-Key': key, 'Content-Type': 'application/json' },
      body: '{}',
    });
    if (!response.ok) return null;
    return ((await response.json()) as { url: string }).url;
  } catch {
    return null;
  }
}

export async function seedDemo(runtime: Runtime, address: string): Promise<string> {
  const { tollgate } = runtime;
  const existing = await tollgate.store.getCustomerByExternalId('demo-user');
  const customer =
    existing ?? (await tollgate.createCustomer({ externalId: 'demo-user', name: 'Demo customer' }));
  const customerKey = await tollgate.issueApiKey(customer.id, 'demo');
  const adminKey = runtime.config.TOLLGATE_ADMIN_KEY ?? (await tollgate.issueApiKey(null, 'demo admin')).key;
  const base = address.replace('127.0.0.1', 'localhost');
  const webhookUrl = await registerDemoWebhook(runtime, base);
  const json = `-H 'X-API-Key: ${customerKey.key}' -H 'Content-Type: application/json'`;
  const billingLink = await requestBillingLink(base, customerKey.key);
  const stripe = runtime.stripe;
  return [
    '',
    `Tollgate demo running at ${base}`,
    `  store: ${runtime.config.DATABASE_URL}   catalog: ${runtime.demoCatalog ? 'demo' : runtime.config.TOLLGATE_CONFIG}`,
    '',
    `  admin key:          ${adminKey}`,
    `  demo customer key:  ${customerKey.key}   (customer ${customer.id}, plan ${customer.plan})`,
    '',
    'Try:',
    `  curl -i -X POST ${base}/api/v1/search -H 'X-API-Key: ${customerKey.key}'`,
    `  curl -s ${base}/api/v1/usage -H 'X-API-Key: ${customerKey.key}'`,
    `  curl -i ${base}/api/v1/federation -H 'X-API-Key: ${customerKey.key}'     # 403: not on the free plan`,
    `  for i in $(seq 12); do curl -s -o /dev/null -w '%{http_code} ' -X POST ${base}/api/v1/capture -H 'X-API-Key: ${customerKey.key}'; done; echo   # 429 after 10/minute`,
    '',
    'Upgrade through Checkout (then open the printed url and pay with a test card, e.g. 4242 4242 4242 4242):',
    `  curl -s -X POST ${base}/api/v1/billing/checkout ${json} -d '{"tier":"pro","success_url":"${base}/api/v1/billing/subscription","cancel_url":"${base}/api/v1/plans"}'`,
    `  curl -s ${base}/api/v1/billing/subscription -H 'X-API-Key: ${customerKey.key}'   # pro, once Stripe's webhook is applied`,
    `  curl -s -X POST ${base}/api/v1/billing/subscribe ${json} -d '{"tier":"starter"}'   # or: a trial, no card`,
    `  curl -s ${base}/api/v1/billing/invoices -H 'X-API-Key: ${customerKey.key}'`,
    '',
    'Billing page and admin console in a browser:',
    `  ${billingLink ?? '(the billing link could not be made)'}   # the demo customer's billing page: one-time link, 10 minutes`,
    `  curl -s -X POST ${base}/api/v1/billing/dashboard-link ${json} -d '{}'   # a new link, as your app asks for its signed-in user`,
    `  ${base}/admin   # the admin console: sign in with the admin key`,
    ...(stripe.testClock
      ? [
          '',
          'Move billing time (renewals, trial ends, payment retries), answered once the webhooks are applied:',
          `  curl -s -X POST ${base}/api/v1/admin/clock/advance -H 'X-API-Key: ${adminKey}' -H 'Content-Type: application/json' -d '{"seconds":2764800}'   # 32 days: past the next renewal, whatever the month's length`,
        ]
      : []),
    '',
    stripe.mode === 'emulator'
      ? `Stripe: the in-process emulator at ${stripe.emulator?.url}${stripe.testClock ? `, test clock ${stripe.testClock} (billing time follows it; rate limits run on wall time)` : ''}`
      : `Stripe: ${runtime.config.STRIPE_API_BASE ?? 'api.stripe.com'}${stripe.testClock ? `, test clock ${stripe.testClock}` : ''}`,
    ...(webhookUrl ? [`  webhooks -> ${webhookUrl}`] : []),
    '',
  ].join('\n');
}
