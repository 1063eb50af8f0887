import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './load-config.js';

describe('loadConfig', () => {
  it('runs with no configuration on the embedded defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      DATABASE_URL: 'sqlite:.tollgate/tollgate.db',
      PORT: 3000,
      STRIPE_PAYMENT_GRACE_PERIOD_DAYS: 3,
    });
    expect(config.publicUrl).toBe('http://localhost:3000');
  });

  it('reports every invalid variable at once, one line each, naming it', () => {
    let error: unknown;
    try {
      loadConfig({
        PORT: 'eighty',
        REDIS_URL: 'localhost:6379',
        STRIPE_PAYMENT_GRACE_PERIOD_DAYS: '-1',
        TOLLGATE_ADMIN_KEY: 'short',
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toHaveLength(4);
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual([
      'PORT',
      'REDIS_URL',
      'STRIPE_PAYMENT_GRACE_PERIOD_DAYS',
      'TOLLGATE_ADMIN_KEY',
    ]);
  });

  it('refuses to start in production without a Stripe key, naming the variable', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/STRIPE_SECRET_KEY: required in production/);
    expect(loadConfig({ NODE_ENV: 'production', STRIPE_API_KEY: 'sk_live_abc' }).stripeSecretKey).toBe(
      'sk_live_abc',
    );
  });

  it('reads price ids per tier and rejects malformed Stripe settings', () => {
    expect(loadConfig({ STRIPE_PRICE_ID_PRO: 'price_123' }).stripePriceIds).toEqual({ pro: 'price_123' });
    expect(() => loadConfig({ STRIPE_SECRET_KEY: 'pk_test_x', STRIPE_TEST_CLOCK: 'abc' })).toThrow(
      /STRIPE_SECRET_KEY: expected a Stripe secret key[\s\S]*STRIPE_TEST_CLOCK: expected a test clock id/,
    );
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ PORT: '', REDIS_URL: '' }).PORT).toBe(3000);
  });
});
