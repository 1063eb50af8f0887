/**
 * Configuration from the environment, validated with zod. Every problem is reported at once, one line
 * each naming the variable, and start-up stops; nothing starts half-configured.
 */
import { z } from 'zod';

const positiveInteger = z.coerce
  .number()
  .int('expected a whole number')
  .positive('expected a positive number');

const EMAIL = /^[^@\s<>,]+@[^@\s<>,]+\.[^@\s<>,]+$/;
const EMAIL_OR_NAMED = /^(?:[^@\s<>,]+@[^@\s<>,]+\.[^@\s<>,]+|[^<>]*<[^@\s<>,]+@[^@\s<>,]+\.[^@\s<>,]+>)$/;

/**
 * What is wrong with a DATABASE_URL, before anything opens it: a typo must not become a SQLite file
 * named after it in the working directory, nor `sqlite://tmp/x.db` a folder `tmp` beside it.
 * Never echoes the URL (it may hold a password).
 */
export function databaseUrlProblem(url: string): string | null {
  const expected = 'expected sqlite:<file>, a file path ending in .db, .sqlite or .sqlite3, or postgres://…';
  if (/^postgres(ql)?:\/\//i.test(url)) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return 'not a valid postgres:// URL (expected postgres://user:password@host:5432/database)';
    }
    return parsed.hostname ? null : 'the postgres:// URL names no host';
  }
  if (/^sqlite:/i.test(url)) {
    const rest = url.slice('sqlite:'.length);
    if (rest === ':memory:') return null;
    if (rest === '') return 'sqlite: names no file (sqlite:.tollgate/tollgate.db, or sqlite::memory:)';
    // sqlite:///abs/file is an absolute path; sqlite://name/… would silently be a relative folder.
    if (rest.startsWith('//') && !rest.startsWith('///'))
      return `write sqlite:/${rest.slice(2)} for an absolute path or sqlite:${rest.slice(2)} for a relative one`;
    return null;
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(url) && !/^[a-z]:[\\/]/i.test(url))
    return `unsupported scheme; ${expected}`;
  if (!/\.(db|sqlite3?)$/i.test(url)) return expected;
  return null;
}

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int('expected a whole number').min(0).max(65535).default(3000),
  HOST: z.string().default('127.0.0.1'),
  PUBLIC_URL: z.url('expected a URL such as https://billing.example.com').optional(),
  DATABASE_URL: z
    .string()
    .min(1)
    .default('sqlite:.tollgate/tollgate.db')
    .superRefine((url, context) => {
      const problem = databaseUrlProblem(url);
      if (problem) context.addIssue({ code: 'custom', message: problem });
    }),
  DATABASE_SYNCHRONOUS: z.enum(['NORMAL', 'FULL']).default('NORMAL'),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'expected a redis:// URL')
    .optional(),
  /**
   * What rate and concurrency limits do while Redis is out of reach: `open` (default) counts on each
   * instance alone, `closed` answers 503 limits_unavailable (src/counters/fallback-counters.ts).
   */
  TOLLGATE_REDIS_FAILURE: z.enum(['open', 'closed']).default('open'),
  TOLLGATE_ADMIN_KEY: z.string().min(16, 'expected at least 16 characters').optional(),
  TOLLGATE_CONFIG: z.string().min(1).optional(),
  /**
   * `tollgate start` only: the time the demo's new Stripe test clock starts at (ISO 8601, e.g.
   * `2026-12-02` or `2028-02-28T12:00:00Z`), instead of now, to replay billing from a chosen date.
   */
  TOLLGATE_DEMO_CLOCK_START: z
    .string()
    .regex(
      /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2}))?$/,
      'expected an ISO 8601 date such as 2026-12-02',
    )
    .refine((text) => !Number.isNaN(Date.parse(text)), 'not a valid date')
    .transform((text) => Date.parse(text))
    .optional(),
  /** When set, GET /metrics needs it as a bearer token; else the endpoint is public. */
  TOLLGATE_METRICS_KEY: z.string().min(16, 'expected at least 16 characters').optional(),
  /**
   * Origins allowed to show the billing page in an iframe (its embeddable mode), separated by spaces or
   * commas, e.g. `https://app.example.com`; unset = only Tollgate's own origin.
   */
  TOLLGATE_FRAME_ANCESTORS: z
    .string()
    .transform((value) => value.split(/[\s,]+/).filter((origin) => origin.length > 0))
    .refine(
      (origins) => origins.every((origin) => /^https?:\/\/[^/\s;'"]+$/.test(origin)),
      'expected origins such as https://app.example.com (scheme and host, no path)',
    )
    .optional(),
  STRIPE_SECRET_KEY: z
    .string()
    .regex(/^(sk|rk)_(test|live)_/, 'expected a Stripe secret key (sk_test_... or sk_live_...)')
    .optional(),
  /** Alias of STRIPE_SECRET_KEY, the name some platforms use. */
  STRIPE_API_KEY: z
    .string()
    .regex(/^(sk|rk)_(test|live)_/, 'expected a Stripe secret key (sk_test_... or sk_live_...)')
    .optional(),
  STRIPE_WEBHOOK_SECRET: z.string().min(1).optional(),
  STRIPE_PUBLISHABLE_KEY: z.string().min(1).optional(),
  STRIPE_API_BASE: z.url('expected a URL such as http://127.0.0.1:12111').optional(),
  STRIPE_TEST_CLOCK: z
    .string()
    .regex(/^clock_/, 'expected a test clock id (clock_...)')
    .optional(),
  STRIPE_ENABLE_METERED_BILLING: z
    .enum(['true', 'false', '1', '0'])
    .transform((value) => value === 'true' || value === '1')
    .optional(),
  STRIPE_METERED_PRICE_ID: z.string().min(1).optional(),
  STRIPE_TRIAL_PERIOD_DAYS: z.coerce.number().int().min(0).max(730).default(14),
  /** Where notifications (trial ending, payment failed, quota warnings...) are POSTed, signed. */
  TOLLGATE_NOTIFY_URL: z.url('expected a URL such as https://app.example.com/hooks/billing').optional(),
  TOLLGATE_NOTIFY_SECRET: z.string().min(16, 'expected at least 16 characters').optional(),
  /** Email notifications: the SMTP server (credentials in the URL), the sender and an operator copy. */
  SMTP_URL: z
    .string()
    .refine(
      (value) => URL.canParse(value) && /^smtps?:$/.test(new URL(value).protocol),
      'expected a URL such as smtp://user:pass@smtp.example.com:587 or smtps://user:pass@smtp.example.com',
    )
    .optional(),
  SMTP_FROM: z
    .string()
    .regex(EMAIL_OR_NAMED, 'expected an address such as billing@example.com or Acme <billing@example.com>')
    .optional(),
  SMTP_TO: z
    .string()
    .refine(
      (value) => value.split(',').every((address) => EMAIL.test(address.trim())),
      'expected an address such as ops@example.com, or several separated by commas',
    )
    .optional(),
  STRIPE_PAYMENT_GRACE_PERIOD_DAYS: z.coerce.number().int().min(0).max(60).default(3),
  TOLLGATE_COMMIT_CONCURRENCY: positiveInteger.optional(),
  /** PostgreSQL quota lease lifetime, ms of billing time (docs/decisions/017); 0 turns leases off. */
  TOLLGATE_LEASE_TTL_MS: z.coerce.number().int().min(0).max(3_600_000).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type TollgateConfig = z.infer<typeof envSchema> & {
  publicUrl: string;
  /** STRIPE_SECRET_KEY, or its alias STRIPE_API_KEY; null = use the built-in emulator (not in production). */
  stripeSecretKey: string | null;
  /** Tier id (lower case) -> Stripe price id, from STRIPE_PRICE_ID_<TIER>. */
  stripePriceIds: Record<string, string>;
};

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: Record<string, string | undefined> = process.env): TollgateConfig {
  // Empty variables count as unset, as most deployment tools write them.
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  }
  const config = parsed.data;
  const stripeSecretKey = config.STRIPE_SECRET_KEY ?? config.STRIPE_API_KEY;
  const problems: string[] = [];
  if (config.NODE_ENV === 'production' && !stripeSecretKey) {
    problems.push(
      'STRIPE_SECRET_KEY: required in production (the local Stripe emulator is for development only)',
    );
  }
  if (config.STRIPE_TEST_CLOCK && stripeSecretKey?.includes('_live_')) {
    problems.push('STRIPE_TEST_CLOCK: test clocks exist only in test mode, not with a live key');
  }
  if (config.TOLLGATE_NOTIFY_URL && !config.TOLLGATE_NOTIFY_SECRET) {
    problems.push(
      'TOLLGATE_NOTIFY_SECRET: required with TOLLGATE_NOTIFY_URL (notifications are signed with it)',
    );
  }
  if (config.SMTP_URL && !config.SMTP_FROM) {
    problems.push('SMTP_FROM: required with SMTP_URL (the sender address of notification emails)');
  }
  if (!config.SMTP_URL && (config.SMTP_FROM || config.SMTP_TO)) {
    problems.push('SMTP_URL: required when SMTP_FROM or SMTP_TO is set (no email is sent without a server)');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  // Price ids per tier from the environment (STRIPE_PRICE_ID_PRO=price_...), over the catalog's.
  const stripePriceIds: Record<string, string> = {};
  for (const [name, value] of Object.entries(present)) {
    const match = /^STRIPE_PRICE_ID_([A-Z0-9_]+)$/.exec(name);
    if (match?.[1] && value) stripePriceIds[match[1].toLowerCase()] = value;
  }
  return {
    ...config,
    publicUrl: config.PUBLIC_URL ?? `http://localhost:${config.PORT}`,
    stripeSecretKey: stripeSecretKey ?? null,
    stripePriceIds,
  };
}
