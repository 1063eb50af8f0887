/**
 * Event metadata over HTTP on SQLite and PostgreSQL: recorded with single and batched events and by
 * `consume()`, refused with a path naming the bad part, part of the idempotency fingerprint (same key,
 * other metadata = 409; the same map in another key order = a replay), and listed with each event by
 * `GET /api/v1/usage/events`, newest first, paged.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Backend, backends } from '../../../test/support/backends.js';
import { testCatalog } from '../../../test/support/test-catalog.js';
import { DAY_MS } from '../../core/periods.js';
import { openTestServer, type TestServer } from '../testing/open-test-server.js';

interface ListedEvent {
  id: string;
  operation: string;
  quantity: number;
  credits: number;
  idempotency_key: string | null;
  metadata: Record<string, string> | null;
}

describe.each(backends)('usage event metadata on %s', (_name, open) => {
  let backend: Backend;
  let server: TestServer;

  beforeAll(async () => {
    backend = await open();
    server = await openTestServer({ catalog: testCatalog(), store: backend.store });
  });
  afterAll(async () => {
    await server.close();
    await backend.cleanup();
  });
  beforeEach(() => {
    server.clock.advance(DAY_MS);
  });

  const record = (key: string, body: unknown) => server.call('POST', '/api/v1/usage/record', { key, body });
  const list = async (key: string, query = '') => {
    const response = await server.call('GET', `/api/v1/usage/events${query}`);
    expect(response.statusCode).toBe(401);
    const listed = await server.call('GET', `/api/v1/usage/events${query}`, { key });
    expect(listed.statusCode).toBe(200);
    return listed.json() as { data: ListedEvent[]; has_more: boolean };
  };

  it('lists each event with the metadata it was recorded with, newest first, paged by event id', async () => {
    const { key, id } = await server.newCustomer({ plan: 'free' });
    expect(
      (await record(key, { operation: 'capture', metadata: { model: 'gpt-4o', 'region.eu': 'west' } }))
        .statusCode,
    ).toBe(200);
    server.clock.advance(1000);
    const batch = await record(key, {
      events: [
        { operation: 'search', quantity: 3, idempotency_key: 'b-1', metadata: { model: 'small' } },
        { operation: 'search' },
      ],
    });
    expect(batch.json().results.map((result: { status: string }) => result.status)).toEqual([
      'recorded',
      'recorded',
    ]);
    server.clock.advance(1000);
    await server.tollgate.consume(id, { operation: 'capture', metadata: { source: 'engine' } });

    const page = await list(key, '?limit=10');
    expect(page.has_more).toBe(false);
    expect(page.data.map((event) => [event.operation, event.metadata])).toEqual([
      ['capture', { source: 'engine' }],
      // The batch's two events share a recorded time; both are listed, whichever comes first.
      ...(page.data[1]?.metadata === null
        ? [
            ['search', null],
            ['search', { model: 'small' }],
          ]
        : [
            ['search', { model: 'small' }],
            ['search', null],
          ]),
      ['capture', { model: 'gpt-4o', 'region.eu': 'west' }],
    ]);
    expect(page.data.find((event) => event.idempotency_key === 'b-1')).toMatchObject({
      quantity: 3,
      credits: 0.3,
    });

    const first = await list(key, '?limit=3');
    expect(first.has_more).toBe(true);
    const rest = await list(key, `?limit=3&after=${first.data[2]?.id}`);
    expect(rest).toEqual({ data: [page.data[3]], has_more: false });
    // Another customer sees none of them.
    expect((await list((await server.newCustomer({ plan: 'free' })).key)).data).toEqual([]);
  });

  it('makes metadata part of the idempotency fingerprint', async () => {
    const { key } = await server.newCustomer({ plan: 'free' });
    const event = { operation: 'capture', idempotency_key: 'once', metadata: { model: 'a', tier: 'x' } };
    const first = await record(key, event);
    expect(first.statusCode).toBe(200);
    // The same map in another key order is the same request.
    const replay = await record(key, { ...event, metadata: { tier: 'x', model: 'a' } });
    expect(replay.statusCode).toBe(200);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.json().event_id).toBe(first.json().event_id);
    for (const metadata of [{ model: 'b', tier: 'x' }, {}, undefined]) {
      const other = await record(key, { ...event, metadata });
      expect(other.statusCode).toBe(409);
      expect(other.json().error).toBe('conflict');
    }
    const batch = await record(key, { events: [{ ...event, metadata: { model: 'c' } }] });
    expect(batch.json().results[0].status).toBe('conflict');
    expect((await list(key)).data).toHaveLength(1);
  });

  it('refuses metadata past its limits with invalid_request naming the path, and records nothing', async () => {
    const { key, id } = await server.newCustomer({ plan: 'free' });
    const tooMany = Object.fromEntries(Array.from({ length: 17 }, (_, index) => [`k${index}`, 'v']));
    const cases: [unknown, string][] = [
      [{ Model: 'x' }, 'metadata.Model'],
      [{ '9lives': 'x' }, 'metadata.9lives'],
      [{ ['k'.repeat(41)]: 'x' }, `metadata.${'k'.repeat(41)}`],
      [{ model: 'x'.repeat(201) }, 'metadata.model'],
      [{ model: 7 }, 'metadata.model'],
      [tooMany, 'metadata'],
      [['model'], 'metadata'],
      ['model', 'metadata'],
    ];
    for (const [metadata, path] of cases) {
      const response = await record(key, { operation: 'capture', metadata });
      expect(response.statusCode, JSON.stringify(metadata)).toBe(400);
      expect(response.json().error).toBe('invalid_request');
      expect(response.json().issues.map((issue: { path: string }) => issue.path)).toContain(path);
    }
    const batch = await record(key, { events: [{ operation: 'capture', metadata: { Model: 'x' } }] });
    expect(batch.json().results[0].status).toBe('invalid');
    expect(batch.json().results[0].error.issues[0].path).toBe('metadata.Model');
    // The engine refuses the same, for apps calling consume() directly.
    await expect(
      server.tollgate.consume(id, { operation: 'capture', metadata: { model: 'x'.repeat(201) } }),
    ).rejects.toMatchObject({ code: 'invalid_request' });
    // 16 keys at their longest are fine.
    const largest = Object.fromEntries(
      Array.from({ length: 16 }, (_, index) => [`k${index}`.padEnd(40, 'x'), 'v'.repeat(200)]),
    );
    expect((await record(key, { operation: 'capture', metadata: largest })).statusCode).toBe(200);
    expect((await list(key)).data.map((event) => event.metadata)).toEqual([largest]);
  });
});
