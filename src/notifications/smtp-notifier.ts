/**
 * Notifications as email over SMTP (nodemailer): one short plain-text message per notification to the
 * customer's address, found with `recipientFor` (a `Notification` carries only the customer id), and
 * an optional copy to a fixed operator address (`to`), sent as its own message so that one address
 * refusing never blocks or duplicates the other. Each message has a Message-ID derived from the
 * notification (the same on every retry, for deduplication), like the HTTP notifier's id header.
 *
 * Transient failures (4xx replies, a dropped or refused connection, a timeout) are retried with
 * exponential backoff; permanent ones (5xx) are not. A message that still fails is logged and dropped:
 * `notify` never rejects, so mail trouble never reaches a webhook or a request. The logs carry the SMTP
 * host and the error, never the URL or its password.
 */
import type { SendMailOptions } from 'nodemailer';
import { requirePeer } from '../config/optional-peer.js';
import { formatCredits } from '../core/credits.js';
import type { Notification, Notifier } from '../core/notifications/notifier.js';
import { notificationId } from './http-notifier.js';

/** What the notifier needs of a nodemailer transporter (tests may pass their own). */
export interface SmtpTransport {
  sendMail(message: SendMailOptions): Promise<unknown>;
}

/** Pino's `warn(object, message)` and `error(object, message)` fit. */
export interface SmtpNotifierLog {
  warn(details: Record<string, unknown>, message: string): void;
  error(details: Record<string, unknown>, message: string): void;
}

export interface SmtpNotifierOptions {
  /** `smtp://user:pass@host:port` (STARTTLS when offered) or `smtps://user:pass@host:465` (TLS). */
  url: string;
  /** Sender, `billing@example.com` or `Acme Billing <billing@example.com>`. */
  from: string;
  /** Operator copy: every notification also goes here (one address, or several comma-separated). */
  to?: string;
  /**
   * The customer's email address, or null/undefined when there is none (then only the operator copy
   * goes out). A rejection counts as "none" and is logged.
   */
  recipientFor?: (customerId: string) => Promise<string | null | undefined>;
  /** Used instead of a transporter built from `url` (which still names the host in logs). */
  transport?: SmtpTransport;
  /** Attempts per message in all (default 4). */
  attempts?: number;
  /** First retry delay in ms, doubled each time (default 500). */
  backoffMs?: number;
  /** Connection, greeting and idle socket timeout in ms (default 10,000). */
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
  log?: SmtpNotifierLog;
}

const stderrLog: SmtpNotifierLog = {
  warn: (details, message) =>
    process.stderr.write(`${JSON.stringify({ level: 'warn', message, ...details })}\n`),
  error: (details, message) =>
    process.stderr.write(`${JSON.stringify({ level: 'error', message, ...details })}\n`),
};

interface SmtpError {
  message?: unknown;
  code?: unknown;
  responseCode?: unknown;
}

/** Connection-level failures nodemailer reports without an SMTP reply; worth another attempt. */
const TRANSIENT_CODES = new Set(['ECONNECTION', 'ESOCKET', 'ETIMEDOUT', 'EDNS']);

/** 4xx replies and dropped connections are worth retrying; 5xx replies and anything else are not. */
export function isTransientSmtpError(error: unknown): boolean {
  const { responseCode, code } = (error ?? {}) as SmtpError;
  if (typeof responseCode === 'number') return responseCode >= 400 && responseCode < 500;
  return typeof code === 'string' && TRANSIENT_CODES.has(code);
}

export function createSmtpNotifier(options: SmtpNotifierOptions): Notifier {
  const parsed = URL.canParse(options.url) ? new URL(options.url) : undefined;
  // The error names neither the URL nor its password (Node's own URL error would carry the input).
  if (parsed?.protocol !== 'smtp:' && parsed?.protocol !== 'smtps:')
    throw new Error('the SMTP URL must be smtp://[user:pass@]host[:port] or smtps://...');
  const host = `${parsed.hostname}:${parsed.port || (parsed.protocol === 'smtps:' ? '465' : '587')}`;
  const secrets = [parsed.password, safeDecode(parsed.password)].filter((secret) => secret.length > 0);
  const redact = (text: string) => secrets.reduce((out, secret) => out.split(secret).join('***'), text);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const transport =
    options.transport ??
    requirePeer<typeof import('nodemailer')>('nodemailer', 'Email notifications (SMTP_URL)').createTransport({
      url: options.url,
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: timeoutMs,
      logger: false,
    });
  const log = options.log ?? stderrLog;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const attempts = options.attempts ?? 4;
  const domain = /@([^>\s]+)>?\s*$/.exec(options.from)?.[1] ?? 'tollgate.invalid';

  function describe(error: unknown): Record<string, unknown> {
    const { message, code, responseCode } = (error ?? {}) as SmtpError;
    return {
      error: redact(typeof message === 'string' ? message : String(error)),
      ...(typeof code === 'string' ? { code } : {}),
      ...(typeof responseCode === 'number' ? { responseCode } : {}),
    };
  }

  async function deliver(notification: Notification, to: string, role: 'customer' | 'operator') {
    const id = notificationId(notification);
    const { subject, text } = composeEmail(notification);
    const message: SendMailOptions = {
      from: options.from,
      to,
      subject,
      text,
      messageId: `<${id}.${role}@${domain}>`,
      headers: { 'X-Tollgate-Notification-Id': id },
    };
    const context = { notification: id, type: notification.type, customerId: notification.customerId, role };
    for (let attempt = 1; ; attempt += 1) {
      try {
        await transport.sendMail(message);
        return;
      } catch (error) {
        const retry = attempt < attempts && isTransientSmtpError(error);
        const details = { ...context, host, attempt, ...describe(error) };
        if (!retry) {
          log.error(details, `notification email ${notification.type} to the ${role} was not sent`);
          return;
        }
        log.warn(details, `notification email ${notification.type} to the ${role} failed; retrying`);
        await sleep((options.backoffMs ?? 500) * 2 ** (attempt - 1));
      }
    }
  }

  async function customerAddress(notification: Notification): Promise<string | undefined> {
    if (!options.recipientFor) return undefined;
    try {
      return (await options.recipientFor(notification.customerId)) || undefined;
    } catch (error) {
      log.warn(
        { type: notification.type, customerId: notification.customerId, ...describe(error) },
        'could not read the customer email address for a notification',
      );
      return undefined;
    }
  }

  return {
    async notify(notification) {
      try {
        const customer = await customerAddress(notification);
        await Promise.all([
          customer ? deliver(notification, customer, 'customer') : undefined,
          options.to ? deliver(notification, options.to, 'operator') : undefined,
        ]);
      } catch (error) {
        // Composing is pure and delivery logs its own failures; this is the last guard of the promise.
        log.error({ type: notification.type, ...describe(error) }, 'notification email failed');
      }
    },
  };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

// --- Message text -------------------------------------------------------------------------------

/** Stripe's zero- and three-decimal currencies; every other currency has two minor digits. */
const ZERO_DECIMAL = new Set('bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf'.split(' '));
const THREE_DECIMAL = new Set(['bhd', 'jod', 'kwd', 'omr', 'tnd']);

/** Integer minor units as `USD 29.00` (integer arithmetic, no floats). */
export function formatMinorUnits(amount: number, currency: string): string {
  const code = currency.toLowerCase();
  const digits = ZERO_DECIMAL.has(code) ? 0 : THREE_DECIMAL.has(code) ? 3 : 2;
  const sign = amount < 0 ? '-' : '';
  const absolute = Math.abs(Math.trunc(amount));
  const scale = 10 ** digits;
  const major = Math.trunc(absolute / scale);
  const minor = digits > 0 ? `.${String(absolute % scale).padStart(digits, '0')}` : '';
  return `${sign}${code.toUpperCase()} ${major}${minor}`;
}

function numberIn(data: Record<string, unknown>, key: string): number | undefined {
  const value = data[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function stringIn(data: Record<string, unknown>, key: string): string | undefined {
  const value = data[key];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function isoTime(epochMs: number | undefined): string {
  return epochMs === undefined ? 'an unknown time' : new Date(epochMs).toISOString();
}

function credits(milli: number | undefined): string {
  return milli === undefined || !Number.isSafeInteger(milli) ? 'an unknown number of' : formatCredits(milli);
}

/** Subject and plain-text body of a notification's email. Exported for tests and previews. */
export function composeEmail(notification: Notification): { subject: string; text: string } {
  const { data } = notification;
  const plan = stringIn(data, 'plan');
  const onPlan = plan ? ` on plan ${plan}` : '';
  let subject: string;
  let lines: string[];
  switch (notification.type) {
    case 'trial_ending': {
      const trialEnd = numberIn(data, 'trialEnd');
      subject =
        trialEnd === undefined
          ? 'Your trial ends soon'
          : `Your trial ends on ${isoTime(trialEnd).slice(0, 10)}`;
      lines = [
        `Your trial ends at ${isoTime(trialEnd)}.`,
        data.hasPaymentMethod === true
          ? 'A payment method is on file, so the subscription continues, billed, after the trial.'
          : 'No payment method is on file: add one before the trial ends to keep your plan.',
      ];
      break;
    }
    case 'payment_failed': {
      const amount = numberIn(data, 'amountDue');
      const currency = stringIn(data, 'currency');
      const money = amount !== undefined && currency ? formatMinorUnits(amount, currency) : undefined;
      const invoice = stringIn(data, 'invoiceId');
      const payUrl = stringIn(data, 'hostedInvoiceUrl');
      subject = money ? `Payment failed: ${money} is due` : 'Payment failed';
      lines = [
        `The payment${money ? ` of ${money}` : ''}${invoice ? ` for invoice ${invoice}` : ''} failed.`,
        `Your access continues until ${isoTime(numberIn(data, 'graceEndsAt'))}; pay before then to avoid suspension.`,
        ...(payUrl ? [`Pay the invoice: ${payUrl}`] : []),
      ];
      break;
    }
    case 'suspended': {
      subject = 'Your account is suspended';
      lines = [
        `Your account${onPlan} is suspended: the payment that failed at ${isoTime(numberIn(data, 'paymentFailedAt'))} was not made within the grace period.`,
        'Paying the open invoice reactivates it.',
      ];
      break;
    }
    case 'reactivated': {
      subject = 'Your account is active again';
      lines = [`Your payment was received and your account${onPlan} is active again.`];
      break;
    }
    case 'quota_80':
    case 'quota_90':
    case 'quota_100': {
      const percent = Number(notification.type.slice('quota_'.length));
      const used = numberIn(data, 'used');
      const limit = numberIn(data, 'limit');
      if (typeof data.operation === 'string') {
        ({ subject, lines } = operationQuotaMessage(data.operation, String(data.window), percent, data));
        break;
      }
      subject =
        percent === 100
          ? 'You have used all your credits for this period'
          : `You have used ${percent}% of your credits for this period`;
      lines = [
        `You have used ${credits(used)} of ${credits(limit)} credits${onPlan}.`,
        `The period ends at ${isoTime(numberIn(data, 'periodEnd'))}, when the credits reset.`,
        ...(percent === 100
          ? ['Until then, depending on your plan, further usage is refused or billed as overage.']
          : []),
      ];
      break;
    }
    default: {
      subject = `Billing notice: ${String(notification.type)}`;
      lines = ['Something about your billing changed.'];
    }
  }
  lines.push('', `Account: ${notification.customerId}`, `Sent at: ${isoTime(notification.at)}`);
  return { subject, text: `${lines.map((line) => wrap(line)).join('\n')}\n` };
}

const WINDOW_NAMES: Record<string, string> = {
  minute: 'per-minute',
  hour: 'hourly',
  day: 'daily',
  month: 'monthly',
};

/** A warning about an operation limit's window: units, not credits. */
function operationQuotaMessage(
  operation: string,
  window: string,
  percent: number,
  data: Record<string, unknown>,
): { subject: string; lines: string[] } {
  const name = `${WINDOW_NAMES[window] ?? window} ${operation} limit`;
  const used = numberIn(data, 'used');
  const limit = numberIn(data, 'limit');
  return {
    subject: percent === 100 ? `You have reached your ${name}` : `You have used ${percent}% of your ${name}`,
    lines: [
      `You have used ${used} of ${limit} (${operation}) this ${window === 'month' ? 'period' : window}.`,
      `The window ends at ${isoTime(numberIn(data, 'windowEnd'))}, when the count resets.`,
      ...(percent === 100
        ? ['Until then, depending on your plan, further use is refused or billed as overage.']
        : []),
    ],
  };
}

/** Word-wraps a line (mail readers show plain text as is; short lines also keep it 7-bit). */
function wrap(line: string, width = 72): string {
  const out: string[] = [];
  let current = '';
  for (const word of line.split(' ')) {
    if (current && current.length + 1 + word.length > width) {
      out.push(current);
      current = word;
    } else current = current ? `${current} ${word}` : word;
  }
  out.push(current);
  return out.join('\n');
}
