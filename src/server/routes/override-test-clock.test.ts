/**
 * An override's expiry on a Stripe test clock (the emulator's), through the service: the boost holds
 * until the second before `expires_at` in billing time, and the plan's limit is back at the instant,
 * on both databases, without a job or a restart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Backend, backends } from '../../../test/support/backends.js';
import { openWebhookFixture, type WebhookFixture } from '../../stripe/webhooks/testing/webhook-fixture.js';

describe.each(backends)('override expiry on a Stripe test clock (%s)', (_name, open) => {
  let backend: Backend;
  let fx: WebhookFixture;

  beforeAll(async () => {
    backend = await open();
    fx = await openWebhookFixture(backend.store);
  }, 30_000);

  afterAll(async () => {
    await fx?.close();
    await backend?.cleanup();
  });

  it('ends a temporary boost exactly when the test clock reaches its expiry', async () => {
    const { customer } = await fx.newCustomer();
    const key = (await fx.tollgate.issueApiKey(customer.id)).key;
    const expiresAt = fx.clock.now() + 86_400_000;
    const put = await fx.app.inject({
      method: 'PUT',
      url: `/api/v1/admin/customers/${customer.id}/overrides`,
      headers: { 'x-api-key': fx.adminKey, 'content-type': 'application/json' },
      payload: JSON.stringify({
        limits: { credits: 5000 },
        features: { federation: true },
        expires_at: new Date(expiresAt).toISOString(),
      }),
    });
    expect(put.statusCode, put.body).toBe(200);
    const usage = async () =>
      (await fx.app.inject({ method: 'GET', url: '/api/v1/usage', headers: { 'x-api-key': key } })).json();

    expect(await usage()).toMatchObject({
      monthly_limit: 5000,
      contract: [{ key: 'credits' }, { key: 'features.federation' }],
    });
    await fx.advance(86_400 - 1);
    expect(fx.clock.now()).toBe(expiresAt - 1000);
    expect((await usage()).monthly_limit).toBe(5000);
    await fx.advance(1);
    expect(fx.clock.now()).toBe(expiresAt);
    expect(await usage()).toMatchObject({ monthly_limit: 100, contract: [] });
    const listed = await fx.app.inject({
      method: 'GET',
      url: `/api/v1/admin/customers/${customer.id}/overrides`,
      headers: { 'x-api-key': fx.adminKey },
    });
    expect(listed.json().overrides.map((row: { in_force: boolean }) => row.in_force)).toEqual([false, false]);
  }, 30_000);
});
