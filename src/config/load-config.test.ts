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

  it('treats empty variables as unset', () => {
    expect(loadConfig({ PORT: '', REDIS_URL: '' }).PORT).toBe(3000);
  });
});
