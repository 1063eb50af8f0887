/**
 * Seeds the demo: one demo customer on the free plan with a key, and an admin key, created on every
 * start (keys are shown once and stored hashed, so a restart issues fresh ones). Returns the text to
 * print: the URLs, the keys and a few curl lines to try.
 */
import type { Runtime } from '../config/open-runtime.js';

export async function seedDemo(runtime: Runtime, address: string): Promise<string> {
  const { tollgate } = runtime;
  const existing = await tollgate.store.getCustomerByExternalId('demo-user');
  const customer =
    existing ?? (await tollgate.createCustomer({ externalId: 'demo-user', name: 'Demo customer' }));
  const customerKey = await tollgate.issueApiKey(customer.id, 'demo');
  const adminKey = runtime.config.TOLLGATE_ADMIN_KEY ?? (await tollgate.issueApiKey(null, 'demo admin')).key;
  const base = address.replace('127.0.0.1', 'localhost');
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
  ].join('\n');
}
