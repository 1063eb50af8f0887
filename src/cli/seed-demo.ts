/**
 * Seeds the demo: one demo customer on the free plan with a key, and an admin key, kept beside the
 * SQLite file and reused at the next start while they still authenticate. With the in-process
 * Stripe emulator it also registers the webhook endpoint, so what happens in Stripe (Checkout
 * completed, renewals, failed payments) flows back. Returns the text to print: the URLs, the keys
 * and a few curl lines to try, up to "upgrade through Checkout", then the billing page (a one-time link
 * asked of the running service, as an app would) and the admin console.
 */
import type { Runtime } from '../config/open-runtime.js';
import { demoScript } from '../server/demo-script.js';

/**
 * Registers `${base}/api/v1/webhooks/stripe` with the in-process emulator once (a restart finds it in
 * the emulator's kept data), and drops the endpoints of earlier runs on other ports, which would only
 * collect failed deliveries.
 */
async function registerDemoWebhook(runtime: Runtime, base: string): Promise<string | null> {
  const { client, emulator } = runtime.stripe;
  if (!emulator) return null; // Real Stripe: the endpoint is configured in the Dashboard or with the CLI.
  const url = `${runtime.config.PUBLIC_URL ?? base}/api/v1/webhooks/stripe`;
  const existing = await client.webhookEndpoints.list({ limit: 100 });
  for (const endpoint of existing.data)
    if (endpoint.url !== url && endpoint.url.endsWith('/api/v1/webhooks/stripe'))
      await client.webhookEndpoints.del(endpoint.id);
  if (!existing.data.some((endpoint) => endpoint.url === url))
    await client.webhookEndpoints.create({ url, enabled_events: ['*'] });
  return url;
}

/** The keys of the last run while they still authenticate as what they were issued for, else new ones. */
async function demoKeys(
  runtime: Runtime,
  customerId: string,
): Promise<{ adminKey: string; customerKey: string }> {
  const { tollgate, demoState } = runtime;
  const kept = demoState?.state;
  const keptCustomer = kept?.customerKey ? await tollgate.authenticate(kept.customerKey) : undefined;
  const customerKey =
    keptCustomer?.kind === 'customer' && keptCustomer.customerId === customerId && kept?.customerKey
      ? kept.customerKey
      : (await tollgate.issueApiKey(customerId, 'demo')).key;
  const configured = runtime.config.TOLLGATE_ADMIN_KEY;
  if (configured) return { adminKey: configured, customerKey };
  const keptAdmin = kept?.adminKey ? await tollgate.authenticate(kept.adminKey) : undefined;
  const adminKey =
    keptAdmin?.kind === 'admin' && kept?.adminKey
      ? kept.adminKey
      : (await tollgate.issueApiKey(null, 'demo admin')).key;
  demoState?.save({ adminKey, customerKey });
  return { adminKey, customerKey };
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
  const keys = await demoKeys(runtime, customer.id);
  const customerKey = { key: keys.customerKey };
  const adminKey = keys.adminKey;
  const base = address.replace('127.0.0.1', 'localhost');
  const webhookUrl = await registerDemoWebhook(runtime, base);
  const key = customerKey.key;
  const json = `-H 'X-API-Key: ${key}' -H 'Content-Type: application/json'`;
  const script = demoScript(runtime.catalog);
  // The CLI finds the demo through its database: name it unless it is the default one.
  const cliPrefix = process.env.DATABASE_URL ? `DATABASE_URL='${runtime.config.DATABASE_URL}' ` : '';
  const defaultPlan = runtime.catalog.defaultPlan;
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
    ...(script.firstCall
      ? [`  curl -i -X POST ${base}/api/v1/${script.firstCall} -H 'X-API-Key: ${key}'`]
      : []),
    `  curl -s ${base}/api/v1/usage -H 'X-API-Key: ${key}'`,
    ...(script.deniedFeature
      ? [
          `  curl -i ${base}/api/v1/${script.deniedFeature} -H 'X-API-Key: ${key}'     # 403: not on the ${defaultPlan} plan`,
        ]
      : []),
    ...(script.rateLimit
      ? [
          `  for i in $(seq ${script.rateLimit.perMinute + 2}); do curl -s -o /dev/null -w '%{http_code} ' -X POST ${base}/api/v1/${script.rateLimit.operation} -H 'X-API-Key: ${key}'; done; echo   # ${script.rateLimit.perMinute} requests a minute on ${defaultPlan}: the calls above count too, then 429`,
        ]
      : []),
    '',
    ...(script.checkoutPlan
      ? [
          'Upgrade through Checkout (then open the printed url and pay with a test card, e.g. 4242 4242 4242 4242):',
          `  curl -s -X POST ${base}/api/v1/billing/checkout ${json} -d '{"tier":"${script.checkoutPlan.id}","success_url":"${base}/billing?checkout=success","cancel_url":"${base}/billing?checkout=canceled"}'`,
          `  curl -s ${base}/api/v1/billing/subscription -H 'X-API-Key: ${key}'   # ${script.checkoutPlan.id}, once Stripe's webhook is applied`,
          ...(script.changePlan
            ? [
                `  curl -s -X POST ${base}/api/v1/billing/upgrade ${json} -d '{"new_tier":"${script.changePlan.id}"}'   # change plan, prorated (here to ${script.changePlan.id})`,
              ]
            : []),
          `  curl -s ${base}/api/v1/billing/invoices -H 'X-API-Key: ${key}'`,
          ...(script.trialPlan
            ? [
                `  (a customer without a subscription can instead start the ${script.trialPlan.trialDays}-day trial with no card: POST /api/v1/billing/subscribe {"tier":"${script.trialPlan.id}"})`,
              ]
            : []),
          '',
        ]
      : []),
    'Billing page and admin console in a browser:',
    `  ${billingLink ?? '(the billing link could not be made)'}   # the demo customer's billing page: one-time link, 10 minutes`,
    `  curl -s -X POST ${base}/api/v1/billing/dashboard-link ${json} -d '{}'   # a new link, as your app asks for its signed-in user`,
    `  ${base}/admin   # the admin console: sign in with the admin key`,
    ...(stripe.testClock
      ? [
          '',
          'Move billing time (renewals, trial ends, payment retries), answered once the webhooks are applied:',
          `  curl -s -X POST ${base}/api/v1/admin/clock/advance -H 'X-API-Key: ${adminKey}' -H 'Content-Type: application/json' -d '{"to":"renewal"}'   # to the next renewal, once Stripe has charged its invoice (or {"seconds":259200} for 3 days)`,
          `  ${cliPrefix}npx tollgate clock advance 3d   # the same from the CLI, which finds this demo's Stripe and clock`,
          `  ${cliPrefix}npx tollgate usage ${customer.id}   # the customer's usage in billing time`,
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
