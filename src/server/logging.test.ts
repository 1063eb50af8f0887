/**
 * The service's log lines as an operator reads them: requests carrying customer and admin keys,
 * cookies, Stripe signatures, keys in query strings, secrets in logged bodies and in error messages;
 * none of those values appears anywhere in the output, while the entries stay useful.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoCatalog } from '../core/catalog/demo-catalog.js';
import { createLogger, scrubSecrets, scrubUrl } from './logging.js';
import { openTestServer, type TestServer } from './testing/open-test-server.js';

describe('service logs', () => {
  const lines: string[] = [];
  let server: TestServer;

  beforeAll(async () => {
    const destination = { write: (line: string) => void lines.push(line) };
    server = await openTestServer({ catalog: demoCatalog(), loggerInstance: createLogger({ destination }) });
  });

  afterAll(async () => {
    await server.close();
  });

  it('never contain a key, token, signature, cookie or secret', async () => {
    const customer = await server.newCustomer({ plan: 'pro' });
    const stripeSecret = 'sk_test_51NotARealStripeSecretKey000';
    const webhookSecret = 'whsec_notARealSigningSecret0000';
    const signature = 't=1700000000,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd';
    const cookie = 'tollgate_session=cookie-value-0123456789';
    const passwordInUrl = 'Pa55w0rd-in-a-url';

    await server.call('GET', '/api/v1/usage', { key: customer.key, headers: { cookie } });
    await server.call('GET', '/api/v1/plans', {
      headers: { authorization: `Bearer ${server.adminKey}`, 'stripe-signature': signature },
    });
    // Refused (unknown query fields), and still logged with its URL.
    await server.call('GET', `/api/v1/usage?api_key=${customer.key}&token=opaque-token-123&page=2`);
    await server.call('POST', '/api/v1/admin/customers', {
      key: server.adminKey,
      body: { email: 'a@example.com', metadata: { note: `pasted ${customer.key}` } },
    });
    // A 500 whose error quotes a key and a database password.
    const listCustomers = server.store.listCustomers;
    server.store.listCustomers = async () => {
      throw new Error(`postgres://tollgate:${passwordInUrl}@db failed for ${customer.key}`);
    };
    const failed = await server.call('GET', '/api/v1/admin/customers', { key: server.adminKey });
    server.store.listCustomers = listCustomers;
    expect(failed.statusCode).toBe(500);
    // What a route might log: a body with secrets at any depth.
    server.app.log.info(
      {
        body: {
          key: customer.key,
          key_id: 'key_visible',
          nested: {
            client_secret: 'cs_secret_value',
            items: [{ secret: webhookSecret }],
            note: stripeSecret,
          },
        },
        headers: { 'x-api-key': customer.key },
      },
      `configured with ${stripeSecret}`,
    );

    const output = lines.join('');
    for (const secret of [
      customer.key,
      server.adminKey,
      stripeSecret,
      webhookSecret,
      signature,
      'cookie-value-0123456789',
      'opaque-token-123',
      'cs_secret_value',
      passwordInUrl,
    ]) {
      expect(output, secret).not.toContain(secret);
    }
    // Still useful: requests, routes, statuses, the failure and the non-secret fields are there.
    expect(output).toContain('"url":"/api/v1/usage?api_key=[redacted]&token=[redacted]&page=2"');
    expect(output).toContain('"route":"/api/v1/plans"');
    expect(output).toContain('"statusCode":500');
    expect(output).toContain('request failed');
    expect(output).toContain('key_visible');
    expect(output).toContain('configured with [redacted]');
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
  });

  it('masks secrets by field name and by shape', () => {
    expect(scrubSecrets({ apiKey: 'x', password: 'y', keyId: 'k', n: 1, list: ['tg_live_abc'] })).toEqual({
      apiKey: '[redacted]',
      password: '[redacted]',
      keyId: 'k',
      n: 1,
      list: ['[redacted]'],
    });
    expect(scrubUrl('/x?secret=1&q=tg_admin_zzz')).toBe('/x?secret=[redacted]&q=[redacted]');
    expect(scrubUrl('/health')).toBe('/health');
  });
});
