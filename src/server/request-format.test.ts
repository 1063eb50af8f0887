/**
 * What Fastify refuses before a route runs answers the documented envelope: malformed or empty JSON,
 * a content type other than JSON, a body over the limit, a malformed URL, an unknown route. The key
 * is checked first, so an anonymous caller learns nothing about the body. Nothing is written.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testCatalog } from '../../test/support/test-catalog.js';
import { openTestServer, type TestServer } from './testing/open-test-server.js';

describe('request format', () => {
  let server: TestServer;
  let customer: { id: string; key: string };

  beforeEach(async () => {
    server = await openTestServer({ catalog: testCatalog() });
    customer = await server.newCustomer();
  });

  afterEach(async () => {
    await server.close();
  });

  const record = (payload: string, contentType = 'application/json', key = customer.key) =>
    server.call('POST', '/api/v1/usage/record', { key, payload, headers: { 'content-type': contentType } });

  const invalid = (path: string, message: string) => ({
    error: 'invalid_request',
    message: path ? `${path}: ${message}` : message,
    issues: [{ path, message }],
  });

  it('answers 400 to malformed JSON, and to JSON that smuggles __proto__', async () => {
    for (const payload of [
      '{"operation": "capture"',
      '{operation: capture}',
      '{"__proto__": {"admin": true}}',
    ]) {
      const response = await record(payload);
      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual(invalid('', 'the body is not valid JSON'));
    }
  });

  it('answers 400 naming the content type for anything but JSON', async () => {
    for (const contentType of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
    ]) {
      const response = await record('operation=capture', contentType);
      expect(response.statusCode, contentType).toBe(400);
      expect(response.json()).toEqual(invalid('content-type', 'expected Content-Type: application/json'));
    }
    const json = await record('{"operation":"capture"}', 'application/json; charset=utf-8');
    expect(json.statusCode).toBe(200);
  });

  it('answers 400 to an empty JSON body, and to JSON that is not an object', async () => {
    expect((await record('')).json()).toEqual(
      invalid('', 'the body is empty but Content-Type says JSON; send {} or no Content-Type'),
    );
    for (const payload of ['null', '[]', '"capture"', '42']) {
      const response = await record(payload);
      expect(response.statusCode).toBe(400);
      expect(response.json().error).toBe('invalid_request');
    }
  });

  it('treats an absent body as empty: fine where every field is optional, named where one is required', async () => {
    const keys = await server.call('POST', `/api/v1/admin/customers/${customer.id}/keys`, {
      key: server.adminKey,
    });
    expect(keys.statusCode).toBe(201);
    const check = await server.call('POST', '/api/v1/usage/check', { key: customer.key });
    expect(check.statusCode).toBe(400);
    expect(check.json().issues).toEqual([
      { path: 'operation', message: 'Invalid input: expected string, received undefined' },
    ]);
  });

  it('answers 413 to a body over the size limit, closing the connection', async () => {
    const events = Array.from({ length: 1000 }, () => ({
      operation: 'capture',
      idempotency_key: 'k'.repeat(255),
    }));
    const huge = JSON.stringify({ events, padding: 'x'.repeat(2 * 1024 * 1024) });
    const response = await record(huge);
    expect(response.statusCode).toBe(413);
    expect(response.headers.connection).toBe('close');
    expect(response.json()).toEqual({
      error: 'payload_too_large',
      message: 'The request body is larger than 2097152 bytes.',
      limit_bytes: 2097152,
    });
  });

  it('checks the key before reading the body', async () => {
    const response = await record('{not json', 'application/json', 'tg_live_unknown');
    expect(response.statusCode).toBe(401);
    expect(response.json()).toEqual({ error: 'unauthorized', message: 'A valid API key is required.' });
  });

  it('answers 400 to a malformed URL and 404 to an unknown route or method', async () => {
    const bad = await server.call('GET', '/api/v1/%E0%A4%A');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toBe('invalid_request');
    for (const [method, url] of [
      ['GET', '/api/v1/nothing'],
      ['PUT', '/api/v1/usage'],
      ['GET', '/api/v1/usage/record'],
    ] as const) {
      const response = await server.call(method, url, { key: customer.key });
      expect(response.statusCode, `${method} ${url}`).toBe(404);
      expect(response.json()).toEqual({ error: 'not_found', message: 'No such resource.' });
    }
  });

  it('writes nothing for any of these', async () => {
    await record('{"operation": "capture"');
    await record('operation=capture', 'text/plain');
    await record('');
    const usage = await server.call('GET', '/api/v1/usage', { key: customer.key });
    expect(usage.json()).toMatchObject({ credits_used: 0, requests_this_minute: 0 });
  });
});
