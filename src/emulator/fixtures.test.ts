/**
 * Conformance: every Stripe CLI trigger fixture runs against the emulator through the official SDK, and
 * the event the fixture is named after is listed in `/v1/events` and delivered, signed, to an endpoint.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from './index.js';
import { startWebhookReceiver, type WebhookReceiver } from './testing/webhook-receiver.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const fixturesDir = path.resolve(repoRoot, '../shared/stripe-cli-fixtures');
const files = existsSync(fixturesDir)
  ? readdirSync(fixturesDir)
      .filter((file) => file.endsWith('.json'))
      .sort()
  : [];

interface FixtureStep {
  name: string;
  path: string;
  method: string;
  params?: Record<string, unknown>;
  expected_error_type?: string;
}

/** Replaces `${name:field.sub}` with the named response's field, in strings nested anywhere. */
function resolveReferences(value: unknown, responses: Map<string, unknown>): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([^:}]+):([^}]+)\}/g, (_match, name: string, field: string) => {
      let current: unknown = responses.get(name);
      if (current === undefined) throw new Error(`Reference to unknown response '${name}'`);
      for (const key of field.split('.')) current = (current as Record<string, unknown>)[key];
      return String(current);
    });
  }
  if (Array.isArray(value)) return value.map((item) => resolveReferences(item, responses));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, resolveReferences(item, responses)]),
    );
  }
  return value;
}

describe('Stripe CLI trigger fixtures', () => {
  if (files.length === 0) {
    it.skip(`skipped: fixtures folder ${fixturesDir} is absent`, () => {});
    return;
  }
  let emulator: Emulator;
  let receiver: WebhookReceiver;
  let stripe: Stripe;

  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, webhookRetry: { initialDelayMs: 10, maxDelayMs: 50 } });
    receiver = await startWebhookReceiver(() => emulator.webhookSecret);
    emulator.addWebhookEndpoint({ url: receiver.url });
    stripe = new Stripe(emulator.secretKey, { ...emulator.stripeConfig(), maxNetworkRetries: 0 });
  });
  afterAll(async () => {
    await emulator?.close();
    await receiver?.close();
  });

  it.each(files)('%s', async (file) => {
    const fixture = JSON.parse(readFileSync(path.join(fixturesDir, file), 'utf8')) as {
      fixtures: FixtureStep[];
    };
    const eventType = file.replace(/\.json$/, '');
    const before = new Set(emulator.events().map((event) => event.id));
    const responses = new Map<string, unknown>();
    for (const step of fixture.fixtures) {
      const requestPath = resolveReferences(step.path, responses) as string;
      const params = step.params
        ? (resolveReferences(step.params, responses) as Record<string, unknown>)
        : undefined;
      const call = stripe.rawRequest(
        step.method.toUpperCase(),
        requestPath,
        step.method.toLowerCase() === 'post' ? params : undefined,
      );
      if (step.expected_error_type) {
        const error = await call.then(
          () => undefined,
          (caught: unknown) => caught as { raw?: { type?: string } },
        );
        expect(error, `${step.name} should fail with ${step.expected_error_type}`).toBeDefined();
        expect(error?.raw?.type).toBe(step.expected_error_type);
        responses.set(step.name, (error as { raw?: unknown })?.raw ?? {});
      } else {
        responses.set(step.name, await call);
      }
    }
    const listed = await stripe.events.list({ type: eventType, limit: 100 });
    const emitted = listed.data.find((event) => !before.has(event.id));
    expect(emitted, `${eventType} should be listed in /v1/events`).toBeDefined();
    const delivered = await receiver.waitFor((event) => event.id === emitted!.id);
    expect(delivered.type).toBe(eventType);
    expect(receiver.rejected).toEqual([]);
  });
});
