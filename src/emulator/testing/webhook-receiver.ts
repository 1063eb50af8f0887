/**
 * A webhook endpoint for tests: a local HTTP server that verifies each delivery with the SDK's
 * `stripe.webhooks.constructEvent` and records the events, so tests assert on what a real receiver sees.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';

export interface ReceivedEvent {
  id: string;
  type: string;
  created: number;
  data: { object: Record<string, unknown>; previous_attributes?: Record<string, unknown> };
}

export interface WebhookReceiver {
  url: string;
  events: ReceivedEvent[];
  /** Deliveries whose signature did not verify. */
  rejected: string[];
  /** Makes the next `count` deliveries answer 500 (to exercise retries). */
  failNext(count: number): void;
  /** Resolves once an event matching `predicate` has arrived. */
  waitFor(predicate: (event: ReceivedEvent) => boolean, timeoutMs?: number): Promise<ReceivedEvent>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(secret: () => string): Promise<WebhookReceiver> {
  const stripe = new Stripe('sk_test_receiver');
  const events: ReceivedEvent[] = [];
  const rejected: string[] = [];
  const waiters: Array<() => void> = [];
  let failures = 0;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      if (failures > 0) {
        failures -= 1;
        response.writeHead(500).end('failing on purpose');
        return;
      }
      try {
        const event = stripe.webhooks.constructEvent(
          body,
          String(request.headers['stripe-signature']),
          secret(),
        );
        events.push(event as unknown as ReceivedEvent);
        response.writeHead(200, { 'content-type': 'application/json' }).end('{"received":true}');
        for (const wake of waiters.splice(0)) wake();
      } catch (error) {
        rejected.push(String(error));
        response.writeHead(400).end('bad signature');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/webhooks`,
    events,
    rejected,
    failNext(count) {
      failures = count;
    },
    async waitFor(predicate, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = events.find(predicate);
        if (found) return found;
        const remaining = deadline - Date.now();
        if (remaining <= 0)
          throw new Error(
            `Timed out waiting for a webhook; received: ${events.map((e) => e.type).join(', ')}`,
          );
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(remaining, 100));
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
