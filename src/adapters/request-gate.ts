/**
 * The framework-neutral half of the middleware: from a request's headers, path and method it decides
 * exempt / allowed / denied, with the headers and the body to answer, exactly as the HTTP service
 * answers. The Express, Fastify and Hono adapters only translate their request in and the outcome out,
 * so the three cannot drift apart (one contract suite, `adapter-contract.ts`, holds them to that).
 */
import { TollgateError } from '../core/errors.js';
import type { GateRequest } from '../core/gate/gate.js';
import type { GateDecision } from '../core/gate/gate-decision.js';
import type { Tollgate } from '../core/tollgate.js';
import { deniedBody } from '../server/gate-hook.js';
import { apiKeyFrom } from '../server/request-auth.js';

type MaybePromise<T> = T | Promise<T>;

/** A customer as the app names it: Tollgate's id, or the app's own id stored as `external_id`. */
export type CustomerRef = string | { externalId: string };

/** Options shared by every gated route of one app. `Request` is the framework's own request type. */
export interface AdapterOptions<Request extends object> {
  tollgate: Tollgate;
  /**
   * Takes the customer from the app's own session instead of an API key: return Tollgate's customer
   * id, or `{ externalId }` with the app's own user id (the customer's `external_id`), or undefined
   * to answer 401 (also for an external id no customer has). When absent, the customer comes from
   * `X-API-Key` or `Authorization: Bearer`.
   */
  resolveCustomer?: (request: Request) => MaybePromise<CustomerRef | undefined>;
  /** Path prefixes never gated nor metered; default the catalog's `exemptRoutes`. */
  exempt?: string[];
}

/** What one route meters or requires. */
export interface RouteOptions<Request extends object> {
  /** Catalog operation debited per request (its cost x quantity). */
  operation?: string;
  /** Catalog feature the customer's plan must include (403 otherwise). */
  feature?: string;
  /** Units of the operation this request uses; default 1. */
  quantity?: (request: Request) => MaybePromise<number>;
  /** Storage this request adds; 507 when it would pass the plan's limit. */
  storage?: (request: Request) => MaybePromise<{ bytes?: number; items?: number }>;
  /**
   * Reserve `operation` x `quantity(request)` before the handler runs (e.g. the request's
   * `max_tokens`) instead of debiting it, and settle when the response is done with what the handler
   * reported with `reportUsage(request, actual)` (e.g. the real token count); a handler that reports
   * nothing (it failed, or the client went away) releases the hold. `quantity` above is not used then.
   */
  reserve?: { quantity: (request: Request) => MaybePromise<number>; ttlSeconds?: number };
}

/** The parts of an HTTP request the gate reads, whatever the framework. */
export interface RequestFacts {
  method: string;
  /** The full path as the router saw it; a query string is ignored. */
  path: string;
  /** Header names in lower case, as Node gives them. */
  headers: Record<string, string | string[] | undefined>;
}

export type GateOutcome =
  | { kind: 'exempt' }
  | {
      kind: 'allowed';
      decision: GateDecision;
      headers: Record<string, string>;
      /**
       * Call once the response is done (sent, or the client gone); calling again does nothing. It frees
       * the concurrency slot and settles or releases the route's reservation.
       */
      finish: () => void;
    }
  | { kind: 'denied'; status: number; headers: Record<string, string>; body: Record<string, unknown> };

/** Gates one request of one route. */
export type RouteGate<Request extends object> = (
  facts: RequestFacts,
  request: Request,
) => Promise<GateOutcome>;

/** Builds the gate of one route; throws at once on a route naming an unknown operation or feature. */
export type RequestGate<Request extends object> = (route?: RouteOptions<Request>) => RouteGate<Request>;

/**
 * Prepares the gate an adapter wraps. Bad configuration fails here and in `route()`, when the app is
 * built, not on its first request.
 * @example
 * const gate = createRequestGate<IncomingMessage>({ tollgate });
 * const search = gate({ operation: 'search' });
 * const outcome = await search({ method: 'POST', path: '/search', headers: req.headers }, req);
 * if (outcome.kind === 'denied') answer(outcome.status, outcome.headers, outcome.body);
 */
export function createRequestGate<Request extends object>(
  options: AdapterOptions<Request>,
): RequestGate<Request> {
  const { tollgate, resolveCustomer } = options;
  if (!tollgate || typeof tollgate.consume !== 'function')
    throw new TypeError('tollgate middleware: `tollgate` must be the engine from createTollgate()');
  const byExternalId = new ExternalIdCache(tollgate);
  const exempt = [...(options.exempt ?? tollgate.catalog.exemptRoutes)];
  for (const prefix of exempt) {
    if (!prefix.startsWith('/'))
      throw new TypeError(`tollgate middleware: exempt path '${prefix}' must start with '/'`);
  }

  return (route = {}) => {
    checkRoute(tollgate, route);
    return async (facts, request) => {
      if (isExempt(exempt, facts)) return { kind: 'exempt' };
      const started = performance.now();
      const duration = (): Record<string, string> => ({
        'X-Request-Duration-Ms': (performance.now() - started).toFixed(2),
      });
      try {
        // Authenticated by key: the key's own limits hold too (an app resolving its customer has no key).
        let keyId: string | undefined;
        let ref: Awaited<ReturnType<NonNullable<typeof resolveCustomer>>> | undefined;
        if (resolveCustomer) ref = await resolveCustomer(request);
        else {
          const principal = await customerFromKey(tollgate, facts.headers);
          ref = principal?.customerId;
          keyId = principal?.keyId;
        }
        const customerId = typeof ref === 'object' ? await byExternalId.resolve(ref.externalId) : ref;
        if (customerId === undefined) throw new TollgateError('unauthorized');

        const gateRequest: GateRequest = { holdSlot: true };
        if (keyId !== undefined) gateRequest.keyId = keyId;
        if (route.operation !== undefined) gateRequest.operation = route.operation;
        if (route.feature !== undefined) gateRequest.feature = route.feature;
        if (route.quantity) gateRequest.quantity = await route.quantity(request);
        if (route.storage) gateRequest.storage = await route.storage(request);
        let decision: GateDecision;
        let finish: () => void;
        if (route.reserve) {
          const reserved = await tollgate.reserve(customerId, {
            operation: route.operation ?? '',
            quantity: await route.reserve.quantity(request),
            holdSlot: true,
            ...(route.feature !== undefined && { feature: route.feature }),
            ...(route.reserve.ttlSeconds !== undefined && { ttlSeconds: route.reserve.ttlSeconds }),
            ...(keyId !== undefined && { keyId }),
          });
          decision = reserved.decision;
          const reservationId = reserved.reservation?.id;
          if (reservationId !== undefined) reported.set(request, null);
          finish = once(() => {
            decision.release();
            if (reservationId === undefined) return;
            const actual = reported.get(request);
            reported.delete(request);
            // A failure here leaves the hold to its TTL; the response is already gone.
            const done =
              actual === null || actual === undefined
                ? tollgate.release(reservationId)
                : tollgate.settle(reservationId, actual, undefined, keyId);
            void done.catch(() => {});
          });
        } else {
          decision = await tollgate.consume(customerId, gateRequest);
          finish = decision.release;
        }
        const headers = { ...decision.headers, ...duration() };
        if (decision.allowed) {
          decisions.set(request, decision);
          return { kind: 'allowed', decision, headers, finish };
        }
        decision.release();
        return { kind: 'denied', status: decision.status, headers, body: deniedBody(decision) };
      } catch (error) {
        // Faults (a store that does not answer) stay exceptions for the framework's error handling.
        if (!(error instanceof TollgateError)) throw error;
        return { kind: 'denied', status: error.status, headers: duration(), body: error.toBody() };
      }
    };
  };
}

/**
 * The decision an adapter attached to a request, for handlers that want the figures (`eventId`,
 * `credits.remaining`). Keyed by the object the adapter passes: Express `req`, Fastify `request`,
 * Hono `c`.
 * @example
 * app.post('/search', gate({ operation: 'search' }), (req, res) => {
 *   res.json({ eventId: decisionOf(req)?.eventId });
 * });
 */
export function decisionOf(request: object): GateDecision | undefined {
  return decisions.get(request);
}

/** Decisions by request object; a WeakMap, so nothing outlives its request. */
const decisions = new WeakMap<object, GateDecision>();

/** Actual usage reported for a request's reservation (null: not reported yet). */
const reported = new WeakMap<object, number | null>();

/**
 * Reports the actual usage of a request whose route reserves (`reserve` in the route options): the
 * reservation is settled with it when the response is done. Throws on a request that holds none.
 * @example
 * app.post('/chat', gate({ operation: 'tokens', reserve: { quantity: (req) => req.body.max_tokens } }),
 *   async (req, res) => {
 *     const completion = await llm(req.body);
 *     reportUsage(req, completion.usage.total_tokens);
 *     res.json(completion);
 *   });
 */
export function reportUsage(request: object, quantity: number): void {
  if (!reported.has(request)) throw new TypeError('tollgate: this request holds no reservation');
  if (!Number.isSafeInteger(quantity) || quantity < 0)
    throw new TypeError('tollgate: the actual usage must be a non-negative integer');
  reported.set(request, quantity);
}

function once(action: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    action();
  };
}

/**
 * The app's user ids mapped to Tollgate's customer ids. A customer's external id never changes, so a
 * found mapping is kept (up to `limit` entries, oldest dropped first); a miss is not, so a customer
 * created a moment later is found on its next request.
 */
class ExternalIdCache {
  private readonly ids = new Map<string, string>();

  constructor(
    private readonly tollgate: Tollgate,
    private readonly limit = 10_000,
  ) {}

  async resolve(externalId: string): Promise<string | undefined> {
    if (typeof externalId !== 'string' || externalId.length === 0) return undefined;
    const cached = this.ids.get(externalId);
    if (cached !== undefined) return cached;
    const customer = await this.tollgate.store.getCustomerByExternalId(externalId);
    if (!customer) return undefined;
    if (this.ids.size >= this.limit) this.ids.delete(this.ids.keys().next().value as string);
    this.ids.set(externalId, customer.id);
    return customer.id;
  }
}

async function customerFromKey(
  tollgate: Tollgate,
  headers: RequestFacts['headers'],
): Promise<{ customerId: string; keyId: string } | undefined> {
  const key = apiKeyFrom(headers);
  const principal = key === undefined ? undefined : await tollgate.authenticate(key);
  if (!principal) return undefined;
  // An admin key has no plan to meter against; the service answers the same.
  if (principal.kind !== 'customer')
    throw new TollgateError('forbidden', 'This endpoint needs a customer key.');
  return { customerId: principal.customerId, keyId: principal.keyId };
}

function checkRoute<Request extends object>(tollgate: Tollgate, route: RouteOptions<Request>): void {
  const { catalog } = tollgate;
  if (route.operation !== undefined && !catalog.operations[route.operation]) {
    const known = Object.keys(catalog.operations).join(', ');
    throw new TypeError(`tollgate middleware: unknown operation '${route.operation}' (catalog has ${known})`);
  }
  if (route.reserve !== undefined && route.operation === undefined) {
    throw new TypeError('tollgate middleware: a route that reserves must name its `operation`');
  }
  // A typo in a feature would deny every customer with 403, so it fails here instead.
  if (route.feature !== undefined && !(route.feature in catalog.features)) {
    const known = Object.keys(catalog.features).join(', ');
    throw new TypeError(`tollgate middleware: unknown feature '${route.feature}' (catalog has ${known})`);
  }
}

/**
 * Exempt when the path is a listed prefix on a segment boundary (`/health` covers `/health/deep`, not
 * `/healthcheck`), or when it is a CORS preflight, which browsers send without the API key.
 */
function isExempt(exempt: readonly string[], facts: RequestFacts): boolean {
  if (facts.method === 'OPTIONS' && facts.headers['access-control-request-method'] !== undefined) return true;
  const query = facts.path.indexOf('?');
  const path = query === -1 ? facts.path : facts.path.slice(0, query);
  return exempt.some(
    (prefix) =>
      path === prefix ||
      (path.startsWith(prefix) && (prefix.endsWith('/') || path.charAt(prefix.length) === '/')),
  );
}

/** The part of a Node `ServerResponse` that tells when it is over. */
export interface ClosableResponse {
  readonly closed: boolean;
  once(event: 'close', listener: () => void): unknown;
}

/**
 * Frees the slot when the Node response closes: after it is sent, or when the client went away. A
 * client can leave while the gate is still deciding; then 'close' has already fired and we free now.
 */
export function releaseOnClose(response: ClosableResponse, release: () => void): void {
  response.once('close', release);
  if (response.closed) release();
}
