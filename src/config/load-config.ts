/**
 * Configuration from the environment, validated with zod. Every problem is reported at once, one line
 * each naming the variable, and start-up stops; nothing starts half-configured.
 */
import { z } from 'zod';

const positiveInteger = z.coerce
  .number()
  .int('expected a whole number')
  .positive('expected a positive number');

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int('expected a whole number').min(0).max(65535).default(3000),
  HOST: z.string().default('127.0.0.1'),
  PUBLIC_URL: z.url('expected a URL such as https://billing.example.com').optional(),
  DATABASE_URL: z.string().min(1).default('sqlite:.tollgate/tollgate.db'),
  DATABASE_SYNCHRONOUS: z.enum(['NORMAL', 'FULL']).default('NORMAL'),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'expected a redis:// URL')
    .optional(),
  TOLLGATE_ADMIN_KEY: z.string().min(16, 'expected at least 16 characters').optional(),
  TOLLGATE_CONFIG: z.string().min(1).optional(),
  STRIPE_TRIAL_PERIOD_DAYS: z.coerce.number().int().min(0).max(730).default(14),
  STRIPE_PAYMENT_GRACE_PERIOD_DAYS: z.coerce.number().int().min(0).max(60).default(3),
  TOLLGATE_COMMIT_CONCURRENCY: positiveInteger.optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type TollgateConfig = z.infer<typeof envSchema> & { publicUrl: string };

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
  return { ...config, publicUrl: config.PUBLIC_URL ?? `http://localhost:${config.PORT}` };
}
