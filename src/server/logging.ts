/**
 * The service's logger: pino, one JSON line per entry, with secrets kept out. API keys, bearer tokens,
 * Stripe signatures, cookies and any `key`/`secret`/`token`/`password` field are replaced by
 * `[redacted]` wherever they sit in a logged object, and strings shaped like our keys or Stripe's
 * secrets are masked even under innocent names (an id pasted into a message, a query string).
 *
 * Two layers, because each misses something: pino's `redact` paths cover the request and response
 * headers the serializers may emit; the deep scrub covers whatever a route logs (bodies, audit entries)
 * without listing its paths in advance.
 */
import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export const REDACTED = '[redacted]';

/** Header paths pino removes (serializers differ in where they put headers). */
const redactPaths = ['authorization', 'x-api-key', 'stripe-signature', 'cookie', 'set-cookie'].flatMap(
  (header) => [`req.headers["${header}"]`, `res.headers["${header}"]`, `headers["${header}"]`],
);

// Field names whose values are secret whatever they hold. `key_id`/`keyId` are ids, not secrets.
const secretField =
  /^(key|api[-_]?key|x-api-key|admin[-_]?key|.*secret.*|.*password.*|.*token|authorization|cookie|set-cookie|stripe-signature)$/i;

// Our keys (tg_live_…, tg_admin_…) and Stripe's secrets (sk_/rk_ keys, whsec_ signing secrets).
const secretValue = /\b(?:tg_(?:live|admin|test)_|sk_(?:live|test)_|rk_(?:live|test)_|whsec_)[A-Za-z0-9_-]+/g;

// The password of a URL (`postgres://user:password@host`), as driver errors sometimes quote it.
const urlPassword = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:)[^\s@/]+@/gi;

function scrubText(text: string): string {
  return text.replace(secretValue, REDACTED).replace(urlPassword, `$1${REDACTED}@`);
}

/** A copy of `value` with secrets replaced; non-plain objects (requests, errors) are left to serializers. */
export function scrubSecrets(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrubText(value);
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => scrubSecrets(item, depth + 1));
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return value;
  const copy: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(value)) {
    copy[name] = secretField.test(name) ? REDACTED : scrubSecrets(field, depth + 1);
  }
  return copy;
}

/** The URL as logged: query parameters that carry keys or secrets are masked. */
export function scrubUrl(url: string): string {
  const query = url.indexOf('?');
  if (query === -1) return scrubText(url);
  const parameters = url
    .slice(query + 1)
    .split('&')
    .map((pair) => {
      const name = decodeURIComponent(pair.split('=')[0] ?? '');
      return secretField.test(name) ? `${pair.split('=')[0]}=${REDACTED}` : pair;
    });
  return scrubText(`${url.slice(0, query)}?${parameters.join('&')}`);
}

interface LoggedRequest {
  method: string;
  url: string;
  routeOptions?: { url?: string };
  ip?: string;
}

/** pino options for the service (exported so tests and other entry points build the same logger). */
export function loggerOptions(level: LogLevel = 'info'): LoggerOptions {
  return {
    level,
    redact: { paths: redactPaths, censor: REDACTED },
    formatters: {
      // Runs on every entry's own fields before the serializers: the place for the deep scrub.
      log: (object) => scrubSecrets(object) as Record<string, unknown>,
    },
    serializers: {
      // No headers at all (Fastify's default shows none either); the URL with its secrets masked.
      req: (request: LoggedRequest) => ({
        method: request.method,
        url: scrubUrl(request.url),
        route: request.routeOptions?.url,
        remoteAddress: request.ip,
      }),
      err: (error: Error) => scrubSecrets({ ...pino.stdSerializers.err(error) }),
    },
    hooks: {
      // The message text too: a key pasted into an error message must not reach the log.
      logMethod(args, method) {
        const scrubbed = args.map((arg) => (typeof arg === 'string' ? (scrubSecrets(arg) as string) : arg));
        method.apply(this, scrubbed as Parameters<typeof method>);
      },
    },
  };
}

/**
 * @example
 * const app = Fastify({ loggerInstance: createLogger({ level: config.LOG_LEVEL }) });
 */
export function createLogger(options: { level?: LogLevel; destination?: DestinationStream } = {}): Logger {
  const settings = loggerOptions(options.level);
  return options.destination ? pino(settings, options.destination) : pino(settings);
}
