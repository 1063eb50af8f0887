/**
 * The reservation routes on SQLite and PostgreSQL: reserve (figures, denial body, TTL, validation),
 * settle (recorded usage, replay, conflict, over the limit), release, and tenant isolation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Backend, backends } from '../../../test/support/backends.js';
import { testCatalog } from '../../../test/support/test-catalog.js';
import { openTestServer, type TestServer } from '../testing/open-test-server.js';

describe.each(backends)('reservation routes on %s', (name, open) => {
  let backend: Backend;
  let server: TestServer;

  beforeAll(async () => {
    backend = await open();
    server = await openTestServer({
      catalog: testCatalog(),
      store: backend.store,
      commitConcurrency: name === 'postgres' ? 4 : 1,
    });
  });
  afterAll(async () => {
    await server.close();
    await backend.cleanup();
  });

  const reserve = (key: string, body: unknown) => server.call('POST', '/api/v1/usage/reserve', { key, body });
  const settle = (key: string, id: string, body: unknown) =>
    server.call('POST', `/api/v1/usage/reservations/${id}/settle`, { key, body });
  const release = (key: string, id: string) =>
    server.call('POST', `/api/v1/usage/reservations/${id}/release`, { key, body: {} });
  const usedOf = async (key: string) =>
    (await server.call('GET', '/api/v1/usage', { key })).json().credits_used;

  it('reserves, settles below the reservation and replays the settle', async () => {
    const { key } = await server.newCustomer({ plan: 'bulk' });
    const reserved = await reserve(key, { operation: 'capture', quantity: 60, ttl_seconds: 120 });
    expect(reserved.statusCode).toBe(200);
    const body = reserved.json();
    expect(body).toMatchObject({
      status: 'held',
      operation: 'capture',
      quantity: 60,
      credits_held: 60,
      expires_at: new Date(server.clock.now() + 120_000).toISOString(),
      settled_quantity: null,
      event_id: null,
    });
    expect(body.reservation_id).toMatch(/^rsv_/);
    // Held credits count: 40 of 100 remain to reserve or record.
    const refused = await reserve(key, { operation: 'capture', quantity: 41 });
    expect(refused.statusCode).toBe(429);
    expect(refused.json()).toMatchObject({ error: 'quota_exceeded' });
    expect(await usedOf(key)).toBe(0);

    const settled = await settle(key, body.reservation_id, { quantity: 25 });
    expect(settled.statusCode).toBe(200);
    expect(settled.json()).toMatchObject({
      status: 'settled',
      settled_quantity: 25,
      credits_used: 25,
      over_limit: false,
    });
    expect(await usedOf(key)).toBe(25);
    const again = await settle(key, body.reservation_id, { quantity: 25 });
    expect(again.statusCode).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json().event_id).toBe(settled.json().event_id);
    const other = await settle(key, body.reservation_id, { quantity: 26 });
    expect(other.statusCode).toBe(409);
    expect(other.json()).toMatchObject({ error: 'conflict' });
  });

  it('records usage above the reservation and says the customer is over the limit', async () => {
    const { key } = await server.newCustomer({ plan: 'bulk' });
    const { reservation_id } = (await reserve(key, { operation: 'capture', quantity: 100 })).json();
    const settled = await settle(key, reservation_id, { quantity: 130 });
    expect(settled.json()).toMatchObject({ over_limit: true, credits_used: 130 });
    expect((await reserve(key, { operation: 'capture', quantity: 1 })).statusCode).toBe(429);
  });

  it('releases, refuses to settle a released reservation, and hides other customers’ reservations', async () => {
    const { key } = await server.newCustomer({ plan: 'bulk' });
    const { reservation_id } = (await reserve(key, { operation: 'capture', quantity: 100 })).json();
    const stranger = await server.newCustomer({ plan: 'bulk' });
    expect((await release(stranger.key, reservation_id)).statusCode).toBe(404);
    const released = await release(key, reservation_id);
    expect(released.statusCode).toBe(200);
    expect(released.json().status).toBe('released');
    const refused = await settle(key, reservation_id, { quantity: 1 });
    expect(refused.statusCode).toBe(409);
    expect((await reserve(key, { operation: 'capture', quantity: 100 })).statusCode).toBe(200);
  });

  it('refuses bad input with the documented error shape', async () => {
    const { key } = await server.newCustomer({ plan: 'bulk' });
    const tooLong = await reserve(key, { operation: 'capture', quantity: 1, ttl_seconds: 3601 });
    expect(tooLong.statusCode).toBe(400);
    expect(tooLong.json()).toMatchObject({ error: 'invalid_request' });
    expect((await reserve(key, { operation: 'nope', quantity: 1 })).statusCode).toBe(400);
    expect((await settle(key, 'rsv_unknown', { quantity: 1 })).statusCode).toBe(404);
    const { reservation_id } = (await reserve(key, { operation: 'capture', quantity: 1 })).json();
    expect((await settle(key, reservation_id, { quantity: -1 })).statusCode).toBe(400);
  });
});
