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

  it('reads the origins that may frame the billing page, refusing paths and non-origins', () => {
    expect(
      loadConfig({ TOLLGATE_FRAME_ANCESTORS: 'https://app.example.com, http://localhost:5173' })
        .TOLLGATE_FRAME_ANCESTORS,
    ).toEqual(['https://app.example.com', 'http://localhost:5173']);
    expect(() => loadConfig({ TOLLGATE_FRAME_ANCESTORS: 'https://app.example.com/settings' })).toThrow(
      /TOLLGATE_FRAME_ANCESTORS: expected origins such as https:\/\/app\.example\.com/,
    );
    expect(() => loadConfig({ TOLLGATE_FRAME_ANCESTORS: "* 'unsafe-inline'" })).toThrow(
      /TOLLGATE_FRAME_ANCESTORS/,
    );
  });

  it('reads price ids per tier and rejects malformed Stripe settings', () => {
    expect(loadConfig({ STRIPE_PRICE_ID_PRO: 'price_123' }).stripePriceIds).toEqual({ pro: 'price_123' });
    expect(() => loadConfig({ STRIPE_SECRET_KEY: 'pk_test_x', STRIPE_TEST_CLOCK: 'abc' })).toThrow(
      /STRIPE_SECRET_KEY: expected a Stripe secret key[\s\S]*STRIPE_TEST_CLOCK: expected a test clock id/,
    );
  });

  it('reads the SMTP settings for email notifications', () => {
    const config = loadConfig({
      SMTP_URL: 'smtps://mailer:p%40ss@smtp.example.com:465',
      SMTP_FROM: 'Acme Billing <billing@example.com>',
      SMTP_TO: 'ops@example.com, finance@example.com',
    });
    expect(config).toMatchObject({
      SMTP_URL: 'smtps://mailer:p%40ss@smtp.example.com:465',
      SMTP_FROM: 'Acme Billing <billing@example.com>',
      SMTP_TO: 'ops@example.com, finance@example.com',
    });
    expect(
      loadConfig({ SMTP_URL: 'smtp://smtp.example.com', SMTP_FROM: 'billing@example.com' }).SMTP_TO,
    ).toBe(undefined);
    expect(loadConfig({}).SMTP_URL).toBe(undefined);
  });

  it('requires SMTP_FROM with SMTP_URL, and SMTP_URL with SMTP_FROM or SMTP_TO, naming the variable', () => {
    expect(() => loadConfig({ SMTP_URL: 'smtp://smtp.example.com:587' })).toThrow(
      /SMTP_FROM: required with SMTP_URL/,
    );
    expect(() => loadConfig({ SMTP_TO: 'ops@example.com' })).toThrow(
      /SMTP_URL: required when SMTP_FROM or SMTP_TO/,
    );
    expect(() => loadConfig({ SMTP_FROM: 'billing@example.com' })).toThrow(/SMTP_URL: required/);
  });

  it('rejects malformed SMTP settings without echoing the URL and its password', () => {
    let error: unknown;
    try {
      loadConfig({
        SMTP_URL: 'https://mailer:hunter2-secret@smtp.example.com',
        SMTP_FROM: 'not an address',
        SMTP_TO: 'ops@example.com, nobody',
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(['SMTP_FROM', 'SMTP_TO', 'SMTP_URL']);
    expect((error as Error).message).not.toContain('hunter2');
    expect(() => loadConfig({ SMTP_URL: 'smtp//mailer:hunter2@host', SMTP_FROM: 'a@example.com' })).toThrow(
      /SMTP_URL: expected a URL such as smtp:/,
    );
  });

  it('checks DATABASE_URL before anything opens it, without echoing a password', () => {
    const problem = (url: string) => {
      try {
        loadConfig({ DATABASE_URL: url });
        return null;
      } catch (error) {
        return (error as ConfigError).problems.join('\n');
      }
    };
    for (const good of [
      'sqlite:.tollgate/tollgate.db',
      'sqlite::memory:',
      'sqlite:///var/lib/tollgate.db',
      'sqlite:/tmp/x.db',
      'data/billing.sqlite3',
      '/srv/tollgate.db',
      'postgres://user:secret@db.internal:5432/billing',
      'postgresql://127.0.0.1/test',
    ])
      expect(problem(good), good).toBeNull();
    expect(problem('not a url')).toMatch(/^DATABASE_URL: expected sqlite:<file>, a file path ending in \.db/);
    expect(problem('sqlite://tmp/x.db')).toBe(
      'DATABASE_URL: write sqlite:/tmp/x.db for an absolute path or sqlite:tmp/x.db for a relative one',
    );
    expect(problem('sqlite:')).toMatch(/names no file/);
    expect(problem('mysql://root:hunter2@localhost/db')).toMatch(/unsupported scheme/);
    expect(problem('postgres://user:hunter2@:5432/db')).not.toContain('hunter2');
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ PORT: '', REDIS_URL: '' }).PORT).toBe(3000);
  });
});
