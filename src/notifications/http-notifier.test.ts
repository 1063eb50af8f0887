/**
 * The signed HTTP notifier against a real local HTTP server: the app can verify what it receives,
 * transient failures are retried with the same notification id, permanent ones are not, and a
 * notification that cannot be delivered is logged without failing the caller.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Notification } from '../core/notifications/notifier.js';
import { createHttpNotifier, verifyNotificationSignature } from './http-notifier.js';

const secret = 'notify-secret-0123456789';
const notification: Notification = {
  type: 'payment_failed',
  customerId: 'cus_1',
  at: Date.UTC(2026, 10, 21),
  data: { invoice_id: 'in_1', amount_due: 2900, currency: 'usd' },
};

interface Received {
  body: string;
  signature: string;
  id: string;
}

describe('HTTP notifier', () => {
  let server: Server;
  let url: string;
  let received: Received[];
  let answers: number[];

  beforeEach(async () => {
    received = [];
    answers = [];
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        received.push({
          body,
          signature: String(request.headers['tollgate-signature']),
          id: String(request.headers['tollgate-notification-id']),
        });
        response.statusCode = answers.shift() ?? 200;
        response.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/billing`;
  });

  afterEach(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const notifier = (logs: Array<Record<string, unknown>> = []) =>
    createHttpNotifier({ url, secret, backoffMs: 1, log: (line) => logs.push(line) });

  it('delivers a body the app can verify with the shared secret', async () => {
    await notifier().notify(notification);
    expect(received).toHaveLength(1);
    const [delivery] = received;
    expect(verifyNotificationSignature(delivery!.body, delivery!.signature, secret)).toBe(true);
    expect(verifyNotificationSignature(delivery!.body, delivery!.signature, 'another-secret-0123')).toBe(
      false,
    );
    expect(verifyNotificationSignature(`${delivery!.body} `, delivery!.signature, secret)).toBe(false);
    expect(JSON.parse(delivery!.body)).toMatchObject({
      id: delivery!.id,
      type: 'payment_failed',
      customerId: 'cus_1',
    });
  });

  it('retries a 500 and a 429 with the same notification id, then stops at success', async () => {
    answers = [500, 429, 200];
    await notifier().notify(notification);
    expect(received).toHaveLength(3);
    expect(new Set(received.map((delivery) => delivery.id)).size).toBe(1);
  });

  it('does not retry a 400, and logs instead of failing the caller', async () => {
    answers = [400];
    const logs: Array<Record<string, unknown>> = [];
    await expect(notifier(logs).notify(notification)).resolves.toBeUndefined();
    expect(received).toHaveLength(1);
    expect(logs).toEqual([
      expect.objectContaining({ msg: 'notification webhook not delivered', type: 'payment_failed' }),
    ]);
    expect(JSON.stringify(logs)).not.toContain(secret);
  });

  it('gives up after its attempts on an endpoint that keeps failing, without throwing', async () => {
    answers = [503, 503, 503, 503, 503];
    const logs: Array<Record<string, unknown>> = [];
    await notifier(logs).notify(notification);
    expect(received).toHaveLength(4);
    expect(logs).toHaveLength(1);
  });
});
