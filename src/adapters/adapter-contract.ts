/**
 * One contract for every framework adapter: a real HTTP server on port 0, driven with `fetch`, over a
 * real SQLite store, memory counters and a manual clock. Each adapter's test file only says how to
 * mount an app (`contract-servers.ts`); the cases, and the exact denial answers, live here once, so
 * Express, Fastify and Hono answer byte for byte alike.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testCatalog } from '../../test/support/test-catalog.js';
import { ManualClock } from '../core/clock.js';
import type { Store } from '../core/ports.js';
import { createTollgate, type Tollgate } from '../core/tollgate.js';
import { createMemoryCounters } from '../counters/memory-counters.js';
import { createSqliteStore } from '../store/sqlite-store.js';
import { contractStart, expectedDenials, freshFreeHeaders } from './expected-denials.js';
import type { CustomerRef } from './request-gate.js';

/** Reads a request header by lower-case name, whatever the framework. */
export type HeaderReader = (name: string) => string | undefined;

/** A gated route, described without a framework; `quantity` and `storage` read request headers. */
export interface ContractRoute {
  method: 'GET' | 'POST';
  path: string;
  gate: {
    operation?: string;
    feature?: string;
    quantity?: (header: HeaderReader) => number;
    storage?: (header: HeaderReader) => { bytes?: number; items?: number };
    /** Reserve this many units before the handler (the route's `reserve` option). */
    reserve?: (header: HeaderReader) => number;
  };
  /** The handler: its result is answered as JSON; a throw is left to the framework (a 500). */
  handle: () => Promise<unknown>;
  /** Actual usage the handler reports with `reportUsage` before answering; undefined reports none. */
  report?: (header: HeaderReader) => number | undefined;
}

export interface ContractApp {
  routes: ContractRoute[];
  resolveCustomer?: (header: HeaderReader) => CustomerRef | undefined;
  exempt?: string[];
}

export interface MountedApp {
  baseUrl: string;
  close(): Promise<void>;
}

/** Serves `app` with the adapter under test on a real socket (port 0). */
export type MountAdapter = (tollgate: Tollgate, app: ContractApp) => Promise<MountedApp>;

/** Headers that the framework, the connection or the clock decide, not Tollgate. */
const frameworkHeaders = new Set([
  'date',
  'connection',
  'keep-alive',
  'etag',
  'x-powered-by',
  'vary',
  'x-request-duration-ms',
]);

async function answerOf(response: Response) {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    if (!frameworkHeaders.has(name)) headers[name] = value;
  });
  return { status: response.status, headers, body: await response.json() };
}

/** Handlers that wait until the test lets them go, counting arrivals so tests need not sleep. */
class Waiters {
  private waiting: Array<() => void> = [];
  private arrivals: Array<() => void> = [];
  arrived = 0;

  async handle(): Promise<unknown> {
    this.arrived++;
    for (const notify of this.arrivals.splice(0)) notify();
    await new Promise<void>((resolve) => this.waiting.push(resolve));
    return { ok: true };
  }

  /** Resolves once `count` requests have reached the handler. */
  async reached(count: number): Promise<void> {
    while (this.arrived < count) await new Promise<void>((resolve) => this.arrivals.push(resolve));
  }

  releaseAll(): void {
    for (const resolve of this.waiting.splice(0)) resolve();
  }
}

/** Retries until `check` passes: for effects of a closed socket, which land a moment later. */
async function eventually(check: () => Promise<boolean>): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error('condition not reached within a second');
}

/**
 * Runs the adapter contract against one framework.
 * @example
 * describeAdapterContract('express', mountExpress);
 */
export function describeAdapterContract(name: string, mount: MountAdapter): void {
  describe(`${name} adapter contract`, () => {
    let store: Store;
    let tollgate: Tollgate;
    let clock: ManualClock;
    let customerId: string;
    let externalId: string;
    let appUsers = 0;
    let key: string;
    let waiters: Waiters;
    let mounted: MountedApp[];
    let baseUrl: string;

    const quantityHeader = (header: HeaderReader) => {
      const value = header('x-quantity');
      return value === undefined ? 1 : Number(value);
    };

    function contractApp(): ContractApp {
      return {
        routes: [
          {
            method: 'POST',
            path: '/capture',
            gate: { operation: 'capture', quantity: quantityHeader },
            handle: ok,
          },
          {
            method: 'POST',
            path: '/upload',
            gate: { operation: 'capture', storage: (header) => ({ bytes: Number(header('x-bytes') ?? 0) }) },
            handle: ok,
          },
          { method: 'GET', path: '/federation', gate: { feature: 'federation' }, handle: ok },
          { method: 'GET', path: '/health', gate: { operation: 'capture' }, handle: ok },
          { method: 'GET', path: '/status', gate: {}, handle: ok },
          { method: 'POST', path: '/fails', gate: { operation: 'search' }, handle: fail },
          { method: 'POST', path: '/wait', gate: { operation: 'search' }, handle: () => waiters.handle() },
          {
            method: 'POST',
            path: '/generate',
            gate: { operation: 'search', reserve: (header) => Number(header('x-max-tokens')) },
            handle: ok,
            report: (header) => {
              const used = header('x-used-tokens');
              return used === undefined ? undefined : Number(used);
            },
          },
        ],
      };
    }
    const ok = async () => ({ ok: true });
    const fail = async () => {
      throw new Error('handler broke');
    };

    async function serve(app: ContractApp): Promise<string> {
      const server = await mount(tollgate, app);
      mounted.push(server);
      return server.baseUrl;
    }

    function call(path: string, init: RequestInit & { key?: string | null } = {}): Promise<Response> {
      const { key: given, ...rest } = init;
      const apiKey = given === undefined ? key : given;
      const headers = new Headers(rest.headers);
      if (apiKey !== null) headers.set('x-api-key', apiKey);
      const method = rest.method ?? (/^\/(federation|health|status)\b/.test(path) ? 'GET' : 'POST');
      return fetch(`${baseUrl}${path}`, { ...rest, method, headers });
    }

    async function used(): Promise<number> {
      return (await tollgate.usage(customerId)).used;
    }

    beforeEach(async () => {
      store = createSqliteStore({ filename: ':memory:' });
      await store.migrate();
      clock = new ManualClock(contractStart);
      const catalog = testCatalog();
      catalog.exemptRoutes = ['/health'];
      tollgate = createTollgate({ catalog, store, counters: createMemoryCounters(), clock });
      customerId = (await tollgate.createCustomer({ plan: 'free', externalId: `app-user-${++appUsers}` })).id;
      externalId = `app-user-${appUsers}`;
      key = (await tollgate.issueApiKey(customerId)).key;
      waiters = new Waiters();
      mounted = [];
      baseUrl = await serve(contractApp());
    });

    afterEach(async () => {
      waiters.releaseAll();
      await Promise.all(mounted.map((server) => server.close()));
      await tollgate.close();
      await store.close();
    });

    it('reserves from the request and settles from the response on a route that reserves', async () => {
      const generate = (max: number, used?: number) =>
        call('/generate', {
          headers: {
            'x-max-tokens': String(max),
            ...(used !== undefined && { 'x-used-tokens': String(used) }),
          },
        });
      // 'search' costs 0.1 credit: the free plan's 100 credits are 1,000 units.
      const settled = await generate(800, 300);
      expect(settled.status).toBe(200);
      await eventually(async () => (await used()) === 30_000);
      // 700 units left: a reservation of 701 is refused, and records nothing.
      const refused = await generate(701, 1);
      expect(await answerOf(refused)).toMatchObject({ status: 429, body: { error: 'quota_exceeded' } });
      // A handler that reports nothing releases its hold: the whole 700 can be reserved again.
      expect((await generate(700)).status).toBe(200);
      const again = await generate(700, 700);
      expect(again.status).toBe(200);
      await eventually(async () => (await used()) === 100_000);
      expect(await store.sumUsageEvents(customerId, (await tollgate.usage(customerId)).periodStart)).toEqual({
        cost: 100_000,
        events: 2,
      });
    });

    it('answers 401 in the documented shape without a key, with a wrong key, or a wrong Bearer', async () => {
      for (const headers of [{}, { 'x-api-key': 'tg_live_nope' }, { authorization: 'Bearer nope' }]) {
        const response = await call('/capture', { key: null, headers });
        expect(await answerOf(response)).toEqual(expectedDenials.unauthorized);
        expect(Number(response.headers.get('x-request-duration-ms'))).toBeGreaterThanOrEqual(0);
      }
      expect(await used()).toBe(0);
    });

    it('refuses an admin key on a metered route with 403 forbidden', async () => {
      const admin = (await tollgate.issueApiKey(null)).key;
      expect(await answerOf(await call('/capture', { key: admin }))).toEqual(expectedDenials.forbidden);
    });

    it('meters the route and sets the contract headers (X-API-Key or Bearer)', async () => {
      const first = await call('/capture');
      expect(first.status).toBe(200);
      expect(await first.json()).toEqual({ ok: true });
      const second = await call('/capture', { key: null, headers: { authorization: `Bearer ${key}` } });
      const answer = await answerOf(second);
      expect(answer.status).toBe(200);
      expect(answer.headers).toMatchObject({
        ...freshFreeHeaders,
        'x-ratelimit-remaining-minute': '8',
        'x-ratelimit-remaining-day': '98',
        ratelimit: '"minute";r=8;t=60, "day";r=98;t=86400',
        'x-credits-used': '1',
        'x-credits-remaining': '98',
        'x-credits-total': '2',
      });
      expect(Number(second.headers.get('x-request-duration-ms'))).toBeGreaterThanOrEqual(0);
      expect(await used()).toBe(2000);
    });

    it('debits quantity x cost', async () => {
      const response = await call('/capture', { headers: { 'x-quantity': '5' } });
      expect(response.headers.get('x-credits-used')).toBe('5');
      expect(await used()).toBe(5000);
    });

    it('answers 400 invalid_request for a bad quantity, recording nothing', async () => {
      const response = await call('/capture', { headers: { 'x-quantity': 'many' } });
      expect(await answerOf(response)).toEqual(expectedDenials.invalid_request);
      expect(await used()).toBe(0);
    });

    it('denies a missing feature with 403 and an upgrade link, recording nothing', async () => {
      expect(await answerOf(await call('/federation'))).toEqual(expectedDenials.feature_not_available);
      const next = await call('/capture');
      expect(next.headers.get('x-ratelimit-remaining-minute')).toBe('9');
    });

    it('states the request windows as they stand on a denial refused before they are counted', async () => {
      for (let i = 0; i < 6; i++) expect((await call('/capture')).status).toBe(200);
      const feature = await call('/federation');
      expect(feature.status).toBe(403);
      expect(feature.headers.get('x-ratelimit-remaining-minute')).toBe('4');
      expect(feature.headers.get('x-ratelimit-remaining-day')).toBe('94');
      expect(feature.headers.get('ratelimit')).toBe('"minute";r=4;t=60, "day";r=94;t=86400');
      await tollgate.updateCustomer(customerId, {
        status: 'past_due',
        paymentFailedAt: clock.now() - 4 * 86_400_000,
      });
      const suspended = await call('/capture');
      expect(suspended.status).toBe(403);
      expect(suspended.headers.get('x-ratelimit-remaining-minute')).toBe('4');
    });

    it('answers 429 rate_limited with Retry-After once the minute is used up', async () => {
      for (let i = 0; i < 10; i++) expect((await call('/capture')).status).toBe(200);
      expect(await answerOf(await call('/capture'))).toEqual(expectedDenials.rate_limited);
      expect(await used()).toBe(10_000);
      clock.advance(60_000);
      expect((await call('/capture')).status).toBe(200);
    });

    it('answers 429 quota_exceeded when the request would pass the credit quota', async () => {
      const response = await call('/capture', { headers: { 'x-quantity': '101' } });
      expect(await answerOf(response)).toEqual(expectedDenials.quota_exceeded(customerId));
      expect(await used()).toBe(0);
    });

    it('answers 507 storage_limit_exceeded when the request would pass the storage limit', async () => {
      // A route's storage is what the request adds; what the customer holds is reported separately.
      await tollgate.setStorage(customerId, { bytes: 1000, items: 0 });
      const response = await call('/upload', { headers: { 'x-bytes': '1' } });
      expect(await answerOf(response)).toEqual(expectedDenials.storage_limit_exceeded);
      expect(await used()).toBe(0);
    });

    it('answers 403 account_suspended once the grace period after a failed payment is over', async () => {
      await tollgate.updateCustomer(customerId, {
        status: 'past_due',
        paymentFailedAt: clock.now() - 4 * 86_400_000,
      });
      expect(await answerOf(await call('/capture'))).toEqual(expectedDenials.account_suspended);
      expect(await used()).toBe(0);
    });

    it('lets exempt paths through without a key and records nothing', async () => {
      const anonymous = await call('/health', { key: null });
      expect(anonymous.status).toBe(200);
      expect(anonymous.headers.get('x-tier')).toBeNull();
      expect((await call('/health?probe=1')).status).toBe(200);
      expect(await used()).toBe(0);
      expect((await call('/capture')).headers.get('x-ratelimit-remaining-minute')).toBe('9');
    });

    it('takes the exempt list from the adapter options instead of the catalog when given', async () => {
      baseUrl = await serve({ ...contractApp(), exempt: ['/status'] });
      expect((await call('/status', { key: null, method: 'GET' })).status).toBe(200);
      expect((await call('/health', { key: null })).status).toBe(401);
    });

    it('uses resolveCustomer instead of the API key when given', async () => {
      baseUrl = await serve({ ...contractApp(), resolveCustomer: (header) => header('x-session-user') });
      const response = await call('/capture', { key: null, headers: { 'x-session-user': customerId } });
      expect(response.status).toBe(200);
      expect(response.headers.get('x-credits-total')).toBe('1');
      const withKeyOnly = await call('/capture');
      expect(await answerOf(withKeyOnly)).toEqual(expectedDenials.unauthorized);
    });

    it("accepts the app's own user id from resolveCustomer, and 401 for one no customer has", async () => {
      baseUrl = await serve({
        ...contractApp(),
        resolveCustomer: (header) => {
          const user = header('x-app-user');
          return user === undefined ? undefined : { externalId: user };
        },
      });
      const response = await call('/capture', { key: null, headers: { 'x-app-user': externalId } });
      expect(response.status).toBe(200);
      expect(response.headers.get('x-credits-total')).toBe('1');
      // The second request is answered from the cache of ids, with the same customer.
      const again = await call('/capture', { key: null, headers: { 'x-app-user': externalId } });
      expect(again.headers.get('x-credits-total')).toBe('2');
      const stranger = await call('/capture', { key: null, headers: { 'x-app-user': 'nobody-here' } });
      expect(await answerOf(stranger)).toEqual(expectedDenials.unauthorized);
    });

    it('frees the concurrency slot when the handler throws', async () => {
      // The free plan allows 2 requests at once: 5 failing requests in a row must not leak slots.
      for (let i = 0; i < 5; i++) expect((await call('/fails')).status).toBe(500);
      await eventually(async () => (await call('/capture')).status === 200);
    });

    it('holds the slot while the handler runs and refuses a third request with 429 concurrency_limited', async () => {
      const first = call('/wait');
      const second = call('/wait');
      await waiters.reached(2);
      expect(await answerOf(await call('/capture'))).toEqual(expectedDenials.concurrency_limited);
      waiters.releaseAll();
      expect((await first).status).toBe(200);
      expect((await second).status).toBe(200);
      await eventually(async () => (await call('/capture')).status === 200);
    });

    it('frees the slots of clients that disconnect while their handlers still run', async () => {
      const aborts = [new AbortController(), new AbortController()];
      const pending = aborts.map((abort) => call('/wait', { signal: abort.signal }).catch(() => 'aborted'));
      await waiters.reached(2);
      expect((await call('/capture')).status).toBe(429);
      for (const abort of aborts) abort.abort();
      expect(await Promise.all(pending)).toEqual(['aborted', 'aborted']);
      // Both slots come back while both handlers still wait: one request holds a slot, another gets in.
      let holder: Promise<Response> | undefined;
      await eventually(async () => {
        const attempt = call('/wait');
        const held = waiters.reached(3).then(() => true);
        if (!(await Promise.race([held, attempt.then(() => false)]))) return false;
        holder = attempt;
        return true;
      });
      await eventually(async () => (await call('/capture')).status === 200);
      waiters.releaseAll();
      expect((await holder)?.status).toBe(200);
    });
  });
}
