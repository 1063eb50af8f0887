import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';
import type { Notification, NotificationType } from '../core/notifications/notifier.js';
import { notificationId } from './http-notifier.js';
import { combineNotifiers } from './memory-notifier.js';
import {
  composeEmail,
  createSmtpNotifier,
  formatMinorUnits,
  isTransientSmtpError,
  type SmtpNotifierLog,
} from './smtp-notifier.js';

const USER = 'mailer';
const PASSWORD = 'pa55-w0rd/secret';

interface Received {
  from: string;
  to: string[];
  headers: Record<string, string>;
  subject: string;
  text: string;
}

/** A reply code to refuse a recipient (RCPT TO) or a message (end of DATA) with, or undefined to accept. */
type Refusal = (recipient: string, attempt: number) => number | undefined;

interface TestServer {
  url: string;
  received: Received[];
  /** RCPT TO commands seen per recipient (each delivery attempt makes one). */
  attempts: Map<string, number>;
  close(): Promise<void>;
}

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

function smtpError(code: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode: code });
}

function decodeQuotedPrintable(text: string): string {
  const bytes = Buffer.from(text.replace(/=\r?\n/g, ''), 'latin1').toString('latin1');
  const decoded = bytes.replace(/=([0-9A-F]{2})/gi, (_, hex: string) =>
    String.fromCharCode(parseInt(hex, 16)),
  );
  return Buffer.from(decoded, 'latin1').toString('utf8');
}

function parseMessage(raw: string, session: SMTPServerSession): Received {
  const split = raw.indexOf('\r\n\r\n');
  const headerText = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
  const headers: Record<string, string> = {};
  for (const line of headerText.split('\r\n')) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  let text = raw.slice(split + 4);
  if (headers['content-transfer-encoding'] === 'quoted-printable') text = decodeQuotedPrintable(text);
  return {
    from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
    to: session.envelope.rcptTo.map((address) => address.address),
    headers,
    subject: headers.subject ?? '',
    text: text.replace(/\r\n/g, '\n'),
  };
}

async function startServer(options: { rcpt?: Refusal; data?: Refusal } = {}): Promise<TestServer> {
  const received: Received[] = [];
  const attempts = new Map<string, number>();
  const dataAttempts = new Map<string, number>();
  const server = new SMTPServer({
    authOptional: true,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === USER && auth.password === PASSWORD) callback(null, { user: USER });
      else callback(smtpError(535, 'Authentication failed'));
    },
    onRcptTo(address, _session, callback) {
      const attempt = (attempts.get(address.address) ?? 0) + 1;
      attempts.set(address.address, attempt);
      const code = options.rcpt?.(address.address, attempt);
      callback(code ? smtpError(code, code < 500 ? 'Try again later' : 'No such mailbox') : null);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const recipient = session.envelope.rcptTo[0]?.address ?? '';
        const attempt = (dataAttempts.get(recipient) ?? 0) + 1;
        dataAttempts.set(recipient, attempt);
        const code = options.data?.(recipient, attempt);
        if (code) return callback(smtpError(code, code < 500 ? 'Queue full, try later' : 'Refused'));
        received.push(parseMessage(Buffer.concat(chunks).toString('utf8'), session));
        callback(null);
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  const testServer: TestServer = {
    url: `smtp://${USER}:${encodeURIComponent(PASSWORD)}@127.0.0.1:${port}`,
    received,
    attempts,
    close: () => (closing ??= new Promise<void>((resolve) => server.close(resolve))),
  };
  servers.push(testServer);
  return testServer;
}

function memoryLog(): SmtpNotifierLog & { lines: { level: string; message: string; details: object }[] } {
  const lines: { level: string; message: string; details: object }[] = [];
  return {
    lines,
    warn: (details, message) => lines.push({ level: 'warn', message, details }),
    error: (details, message) => lines.push({ level: 'error', message, details }),
  };
}

const AT = Date.UTC(2025, 2, 1, 9, 30);
const DAY = 86_400_000;

function notification(
  type: NotificationType,
  data: Record<string, unknown>,
  customerId = 'cus_ada',
): Notification {
  return { type, customerId, data, at: AT };
}

const emails: Record<string, string | null> = { cus_ada: 'ada@example.com', cus_nomail: null };
const recipientFor = async (customerId: string) => {
  if (!(customerId in emails)) throw new Error(`No customer '${customerId}'.`);
  return emails[customerId];
};
const noSleep = async () => {};

describe('createSmtpNotifier against a real SMTP server', () => {
  it('sends each notification type to the customer and the operator, with its subject and figures', async () => {
    const server = await startServer();
    const log = memoryLog();
    const notifier = createSmtpNotifier({
      url: server.url,
      from: 'Acme Billing <billing@acme.test>',
      to: 'ops@acme.test',
      recipientFor,
      log,
    });
    const cases: { notification: Notification; subject: string; figures: string[] }[] = [
      {
        notification: notification('trial_ending', {
          subscriptionId: 'sub_1',
          trialEnd: AT + 3 * DAY,
          hasPaymentMethod: false,
          stripeEventId: 'evt_1',
        }),
        subject: 'Your trial ends on 2025-03-04',
        figures: ['2025-03-04T09:30:00.000Z', 'No payment method is on file'],
      },
      {
        notification: notification('payment_failed', {
          invoiceId: 'in_42',
          amountDue: 2900,
          currency: 'usd',
          hostedInvoiceUrl: 'https://invoice.stripe.test/i/in_42',
          graceEndsAt: AT + 3 * DAY,
        }),
        subject: 'Payment failed: USD 29.00 is due',
        figures: ['USD 29.00', 'in_42', '2025-03-04T09:30:00.000Z', 'https://invoice.stripe.test/i/in_42'],
      },
      {
        notification: notification('suspended', { plan: 'pro', paymentFailedAt: AT - 3 * DAY }),
        subject: 'Your account is suspended',
        figures: ['plan pro', '2025-02-26T09:30:00.000Z'],
      },
      {
        notification: notification('reactivated', { plan: 'pro', previousStatus: 'suspended' }),
        subject: 'Your account is active again',
        figures: ['plan pro'],
      },
      ...([80, 90, 100] as const).map((percent) => ({
        notification: notification(`quota_${percent}`, {
          plan: 'starter',
          used: percent * 100_000 + 500,
          limit: 10_000_000,
          periodEnd: Date.UTC(2025, 3, 1),
        }),
        subject:
          percent === 100
            ? 'You have used all your credits for this period'
            : `You have used ${percent}% of your credits for this period`,
        figures: [`${percent * 100}.5 of 10000 credits on plan starter`, '2025-04-01T00:00:00.000Z'],
      })),
    ];

    for (const { notification: sent } of cases) await notifier.notify(sent);

    expect(server.received).toHaveLength(cases.length * 2);
    for (const [index, { notification: sent, subject, figures }] of cases.entries()) {
      const pair = server.received.slice(index * 2, index * 2 + 2);
      expect(pair.map((message) => message.to).sort()).toEqual([['ada@example.com'], ['ops@acme.test']]);
      for (const message of pair) {
        expect(message.from).toBe('billing@acme.test');
        expect(message.subject).toBe(subject);
        expect(message.headers['x-tollgate-notification-id']).toBe(notificationId(sent));
        expect(message.headers['message-id']).toMatch(
          new RegExp(`^<${notificationId(sent)}\\.(customer|operator)@acme\\.test>$`),
        );
        expect(message.text).toContain('Account: cus_ada');
        const flat = message.text.replace(/\s+/g, ' ');
        for (const figure of figures) expect(flat).toContain(figure);
        // Short lines (URLs aside): readable as plain text, and sent 7-bit rather than quoted-printable.
        for (const line of message.text.split('\n'))
          if (!line.includes('://')) expect(line.length).toBeLessThanOrEqual(72);
        if (!message.text.includes('://')) expect(message.headers['content-transfer-encoding']).toBe('7bit');
        expect(message.text).not.toContain('evt_1');
      }
    }
    expect(log.lines).toEqual([]);
  });

  it('sends only the operator copy for a customer without an email address, and nothing without one', async () => {
    const server = await startServer();
    const log = memoryLog();
    const quota = (customerId: string) =>
      notification(
        'quota_80',
        { plan: 'free', used: 80_000, limit: 100_000, periodEnd: AT + DAY },
        customerId,
      );
    const withCopy = createSmtpNotifier({
      url: server.url,
      from: 'billing@acme.test',
      to: 'ops@acme.test',
      recipientFor,
      log,
    });
    await withCopy.notify(quota('cus_nomail'));
    // A resolver failing (unknown customer) counts as no address, and is logged.
    await withCopy.notify(quota('cus_gone'));
    expect(server.received.map((message) => message.to)).toEqual([['ops@acme.test'], ['ops@acme.test']]);
    expect(log.lines.map((line) => line.message)).toEqual([
      'could not read the customer email address for a notification',
    ]);

    const withoutCopy = createSmtpNotifier({ url: server.url, from: 'billing@acme.test', recipientFor, log });
    await withoutCopy.notify(quota('cus_nomail'));
    expect(server.received).toHaveLength(2);
  });

  it('retries a transient 451 and delivers the message once', async () => {
    const server = await startServer({ data: (_recipient, attempt) => (attempt === 1 ? 451 : undefined) });
    const log = memoryLog();
    const delays: number[] = [];
    const notifier = createSmtpNotifier({
      url: server.url,
      from: 'billing@acme.test',
      recipientFor,
      log,
      backoffMs: 20,
      sleep: async (ms) => {
        delays.push(ms);
      },
    });
    await notifier.notify(notification('reactivated', { plan: 'pro' }));
    expect(server.received).toHaveLength(1);
    expect(server.received[0]?.to).toEqual(['ada@example.com']);
    expect(delays).toEqual([20]);
    expect(log.lines).toHaveLength(1);
    expect(log.lines[0]).toMatchObject({ level: 'warn', details: { responseCode: 451, attempt: 1 } });
  });

  it('gives up after the configured attempts when the failure stays transient, without throwing', async () => {
    const server = await startServer({ rcpt: () => 452 });
    const log = memoryLog();
    const delays: number[] = [];
    const notifier = createSmtpNotifier({
      url: server.url,
      from: 'billing@acme.test',
      recipientFor,
      log,
      attempts: 3,
      backoffMs: 10,
      sleep: async (ms) => {
        delays.push(ms);
      },
    });
    await expect(notifier.notify(notification('reactivated', { plan: 'pro' }))).resolves.toBeUndefined();
    expect(server.attempts.get('ada@example.com')).toBe(3);
    expect(delays).toEqual([10, 20]);
    expect(log.lines.map((line) => line.level)).toEqual(['warn', 'warn', 'error']);
  });

  it('does not retry a permanent 550 and does not throw to the caller', async () => {
    const server = await startServer({
      rcpt: (recipient) => (recipient === 'ada@example.com' ? 550 : undefined),
    });
    const log = memoryLog();
    const notifier = createSmtpNotifier({
      url: server.url,
      from: 'billing@acme.test',
      to: 'ops@acme.test',
      recipientFor,
      log,
      sleep: noSleep,
    });
    // Through combineNotifiers, as `tollgate serve` wires it: nothing rejects.
    await expect(
      combineNotifiers(notifier).notify(notification('suspended', { plan: 'pro', paymentFailedAt: AT })),
    ).resolves.toBeUndefined();
    expect(server.attempts.get('ada@example.com')).toBe(1);
    // The operator copy is its own message, so the customer's refusal does not stop it.
    expect(server.received.map((message) => message.to)).toEqual([['ops@acme.test']]);
    expect(log.lines).toHaveLength(1);
    expect(log.lines[0]).toMatchObject({
      level: 'error',
      details: { responseCode: 550, role: 'customer', customerId: 'cus_ada', attempt: 1 },
    });
  });

  it('never writes the SMTP password into a log line', async () => {
    const server = await startServer({ rcpt: (_recipient, attempt) => (attempt === 1 ? 451 : 550) });
    const log = memoryLog();
    const base = { from: 'billing@acme.test', recipientFor, log, sleep: noSleep, attempts: 2 };
    // 451 then 550 on the right credentials; 535 on wrong ones; a refused connection on a closed port.
    await createSmtpNotifier({ ...base, url: server.url }).notify(notification('reactivated', {}));
    const wrong = server.url.replace(encodeURIComponent(PASSWORD), 'wrong-pa55');
    await createSmtpNotifier({ ...base, url: wrong }).notify(notification('reactivated', {}));
    const closed = await startServer();
    await closed.close();
    await createSmtpNotifier({ ...base, url: closed.url }).notify(notification('reactivated', {}));

    // A transport whose error repeats the URL (none of nodemailer's do, but the log must not rely on it).
    const leaky = {
      sendMail: async () => {
        throw Object.assign(new Error(`cannot reach ${server.url}`), { code: 'EPROTOCOL' });
      },
    };
    await createSmtpNotifier({ ...base, url: server.url, transport: leaky }).notify(
      notification('reactivated', {}),
    );

    const written = log.lines.map((line) => JSON.stringify(line));
    expect(log.lines.map((line) => (line.details as { responseCode?: number }).responseCode)).toEqual([
      451,
      550,
      535,
      undefined,
      undefined,
      undefined,
    ]);
    expect(written[5]).toContain(`cannot reach smtp://${USER}:***@127.0.0.1:`);
    expect(log.lines.some((line) => (line.details as { responseCode?: number }).responseCode === 535)).toBe(
      true,
    );
    expect(log.lines.some((line) => (line.details as { code?: string }).code === 'ESOCKET')).toBe(true);
    for (const secret of [
      PASSWORD,
      encodeURIComponent(PASSWORD),
      'wrong-pa55',
      Buffer.from(PASSWORD).toString('base64'),
      Buffer.from(`\u0000${USER}\u0000${PASSWORD}`).toString('base64'),
    ]) {
      for (const line of written) expect(line).not.toContain(secret);
    }
    for (const line of written) expect(line).toContain('127.0.0.1:');
  });

  it('refuses a URL that is not smtp:// or smtps:// without echoing it', () => {
    expect(() => createSmtpNotifier({ url: 'http://user:hunter2@mail.test', from: 'a@b.test' })).toThrow(
      /^the SMTP URL must be smtp:/,
    );
    expect(() => createSmtpNotifier({ url: 'smtp//user:hunter2', from: 'a@b.test' })).not.toThrow(/hunter2/);
  });
});

describe('smtp notifier helpers', () => {
  it('tells transient SMTP failures from permanent ones', () => {
    expect(isTransientSmtpError(smtpError(451, 'later'))).toBe(true);
    expect(isTransientSmtpError(smtpError(421, 'closing'))).toBe(true);
    expect(isTransientSmtpError(smtpError(550, 'no'))).toBe(false);
    expect(isTransientSmtpError(smtpError(535, 'auth'))).toBe(false);
    expect(isTransientSmtpError(Object.assign(new Error('refused'), { code: 'ECONNECTION' }))).toBe(true);
    expect(isTransientSmtpError(Object.assign(new Error('no auth'), { code: 'EAUTH' }))).toBe(false);
    expect(isTransientSmtpError(undefined)).toBe(false);
  });

  it('formats minor units with the currency exponent Stripe uses', () => {
    expect(formatMinorUnits(2900, 'usd')).toBe('USD 29.00');
    expect(formatMinorUnits(5, 'eur')).toBe('EUR 0.05');
    expect(formatMinorUnits(1500, 'jpy')).toBe('JPY 1500');
    expect(formatMinorUnits(12345, 'kwd')).toBe('KWD 12.345');
    expect(formatMinorUnits(-250, 'gbp')).toBe('-GBP 2.50');
  });

  it('composes a message even when figures are missing', () => {
    const { subject, text } = composeEmail(notification('payment_failed', {}));
    expect(subject).toBe('Payment failed');
    expect(text).toContain('Your access continues until an unknown time');
    expect(composeEmail(notification('trial_ending', { hasPaymentMethod: true })).text).toContain(
      'A payment method is on file',
    );
  });
});
