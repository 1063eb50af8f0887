/**
 * Routes as data. Each route declares who may call it, strict zod schemas for its path parameters,
 * query and body, and the shape it answers with. The router registers it on Fastify and keeps the
 * declaration, so `/openapi.json` is generated from the very schemas that validate requests.
 *
 * Query strings: a public GET that declares no query (health, readiness, metrics, plans, docs)
 * ignores any it is sent; every other route refuses unknown query fields.
 *
 * Order of a request: the key is checked in `onRequest` (before the body is read, so an anonymous
 * caller learns nothing about validation), the body is parsed as JSON, the zod schemas run in
 * `preValidation`, then any `preHandler` (the gate of a metered route), then the handler. Bad input
 * therefore never reaches anything that writes. A `rawBody` route (signed webhooks) gets its body as
 * the bytes received, unparsed, and checks it itself.
 */
import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  preHandlerAsyncHookHandler,
  RouteOptions,
} from 'fastify';
import { z } from 'zod';
import type { DashboardSessions } from '../core/billing/dashboard-sessions.js';
import { type ErrorCode, TollgateError } from '../core/errors.js';
import type { Tollgate } from '../core/tollgate.js';
import { parseInput } from './parse-input.js';
import { keepJsonBytes } from './raw-body.js';
import { authenticateRequest, type Caller } from './request-auth.js';

/** Who may call a route: anyone, a customer key, an admin key, or a customer key through the gate. */
export type Access = 'public' | 'customer' | 'admin' | 'gated';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** A customer route's caller is a customer key, or a billing session where the route allows one. */
export type CallerOf<A extends Access> = A extends 'customer'
  ? Extract<Caller, { kind: 'customer' | 'session' }>
  : A extends 'admin'
    ? Extract<Caller, { kind: 'admin' }>
    : null;

export interface RouteContext<A extends Access, Body, Query, Params> {
  caller: CallerOf<A>;
  body: Body;
  query: Query;
  params: Params;
  request: FastifyRequest;
  reply: FastifyReply;
}

const noFields = z.strictObject({});
type NoFields = typeof noFields;

export interface RouteSpec<
  A extends Access,
  B extends z.ZodType,
  Q extends z.ZodType,
  P extends z.ZodType,
  R extends z.ZodType,
> {
  method: HttpMethod;
  url: string;
  access: A;
  /**
   * A billing session (`Authorization: Bearer tgs_...`, from a dashboard link) may call this customer
   * route too. Everywhere else a session answers 403.
   */
  sessions?: A extends 'customer' ? boolean : never;
  tag: string;
  summary: string;
  description?: string;
  params?: P;
  query?: Q;
  /** The body schema; a route without one accepts no body fields (an empty or absent body). */
  body?: B;
  /** Documents the body when the handler parses it itself (the record route's two shapes). */
  bodyDocument?: z.ZodType;
  response: {
    status?: number;
    description: string;
    schema: R;
    /** The response carries the gate's decision headers (X-Tier, X-RateLimit-*, X-Credits-*). */
    decisionHeaders?: boolean;
    /** Default application/json. */
    contentType?: string;
  };
  /** Errors this route answers besides those its access and validation imply. */
  errors?: readonly ErrorCode[];
  preHandler?: preHandlerAsyncHookHandler;
  /**
   * The body reaches the handler as the bytes received (`rawBodyOf(request)`), parsed by nothing: for
   * signed webhooks, whose handler checks the signature before parsing. Document it with
   * `bodyDocument`; `body` is not used.
   */
  rawBody?: boolean;
  /** Returns the success body, or the reply when it sent another answer itself (a denial). */
  handler(
    context: RouteContext<A, z.output<B>, z.output<Q>, z.output<P>>,
  ): Promise<z.input<R> | FastifyReply>;
}

/** What the OpenAPI document is built from: a route's declaration without its handler. */
export interface DocumentedRoute {
  method: HttpMethod;
  url: string;
  access: Access;
  /** Billing sessions are accepted besides customer keys. */
  sessions: boolean;
  tag: string;
  summary: string;
  description: string | null;
  params: z.ZodType | null;
  query: z.ZodType;
  body: z.ZodType | null;
  status: number;
  responseDescription: string;
  response: z.ZodType;
  contentType: string;
  decisionHeaders: boolean;
  errors: ErrorCode[];
}

interface ParsedInput {
  body: unknown;
  query: unknown;
  params: unknown;
}

const accessErrors: Record<Access, ErrorCode[]> = {
  public: [],
  customer: ['unauthorized', 'forbidden'],
  admin: ['unauthorized', 'forbidden'],
  gated: [
    'unauthorized',
    'account_suspended',
    'feature_not_available',
    'rate_limited',
    'concurrency_limited',
    'quota_exceeded',
  ],
};

export class ApiRouter {
  private readonly documented: DocumentedRoute[] = [];
  // Per request: who called and what the schemas parsed, handed from the hooks to the handler.
  private readonly callers = new WeakMap<FastifyRequest, Caller>();
  private readonly inputs = new WeakMap<FastifyRequest, ParsedInput>();

  constructor(
    private readonly app: FastifyInstance,
    private readonly tollgate: Tollgate,
    /** Resolves billing sessions for routes declared with `sessions: true`; without it they get 403. */
    private readonly sessions?: DashboardSessions,
  ) {}

  /** Every route declared so far, in declaration order. */
  get routes(): readonly DocumentedRoute[] {
    return this.documented;
  }

  route<
    A extends Access,
    R extends z.ZodType,
    B extends z.ZodType = NoFields,
    Q extends z.ZodType = NoFields,
    P extends z.ZodType = NoFields,
  >(spec: RouteSpec<A, B, Q, P, R>): void {
    const bodySchema: z.ZodType = spec.body ?? noFields;
    const querySchema: z.ZodType = spec.query ?? noFields;
    const paramsSchema: z.ZodType = spec.params ?? noFields;
    const readsBody = spec.method !== 'GET';
    // A raw body is the handler's to parse.
    const parsesBody = readsBody && spec.rawBody !== true;
    // A public GET that takes no query ignores one: a monitor's cache-buster (`/health?_=1`) or a
    // tracking parameter must not make `/health`, `/ready`, `/metrics` or `/api/v1/plans` answer 400.
    // Routes with a key keep refusing unknown query fields, as every route with a query does: a
    // misspelt filter would otherwise be dropped silently and answer the wrong list, and a
    // `customer_id` that is ignored would let a client believe it read another account. Bodies stay
    // strict everywhere.
    const ignoresQuery = spec.method === 'GET' && spec.access === 'public' && spec.query === undefined;
    this.documented.push({
      method: spec.method,
      url: spec.url,
      access: spec.access,
      sessions: spec.sessions === true,
      tag: spec.tag,
      summary: spec.summary,
      description: spec.description ?? null,
      params: spec.params ?? null,
      query: querySchema,
      body: readsBody ? (spec.bodyDocument ?? bodySchema) : null,
      status: spec.response.status ?? 200,
      responseDescription: spec.response.description,
      response: spec.response.schema,
      contentType: spec.response.contentType ?? 'application/json',
      decisionHeaders: spec.response.decisionHeaders ?? false,
      errors: [
        ...new Set<ErrorCode>([
          'invalid_request',
          // Any route that reads a body answers 413 to one over the limit (oversized-body.ts).
          ...(readsBody ? (['payload_too_large'] as const) : []),
          ...accessErrors[spec.access],
          // A route with a key reads the store for it, so it meets a database that is down.
          ...(spec.access === 'public' ? [] : (['store_unavailable'] as const)),
          ...(spec.errors ?? []),
        ]),
      ],
    });

    const { tollgate, callers, inputs } = this;
    const access = spec.access;
    const sessions = spec.sessions === true ? this.sessions : undefined;
    const authorize = async (request: FastifyRequest): Promise<void> => {
      const principal = await authenticateRequest(tollgate, request.headers, sessions);
      if (access === 'customer' && principal.kind === 'admin')
        throw new TollgateError('forbidden', 'This endpoint needs a customer key.');
      if (access === 'admin' && principal.kind !== 'admin')
        throw new TollgateError('forbidden', 'This endpoint needs an admin key.');
      callers.set(request, principal);
    };
    const options: RouteOptions = {
      method: spec.method,
      url: spec.url,
      ...(access === 'customer' || access === 'admin' ? { onRequest: authorize } : {}),
      preValidation: async (request: FastifyRequest) => {
        inputs.set(request, {
          params: parseInput(paramsSchema, request.params ?? {}),
          query: ignoresQuery ? {} : parseInput(querySchema, request.query ?? {}),
          // An absent body is an empty object: routes whose fields are all optional need none.
          body: parsesBody
            ? parseInput(bodySchema, request.body === undefined ? {} : request.body)
            : undefined,
        });
      },
      ...(spec.preHandler ? { preHandler: spec.preHandler } : {}),
      handler: async (request, reply) => {
        const input = inputs.get(request);
        if (!input) throw new Error('the route input was not parsed');
        reply.code(spec.response.status ?? 200);
        return spec.handler({
          caller: (callers.get(request) ?? null) as CallerOf<A>,
          body: input.body as z.output<B>,
          query: input.query as z.output<Q>,
          params: input.params as z.output<P>,
          request,
          reply,
        });
      },
    };
    if (spec.rawBody) {
      // A scope of its own, so its JSON parser (bytes kept, nothing parsed) is this route's only.
      this.app.register(async (scope) => {
        keepJsonBytes(scope);
        scope.route(options);
      });
    } else {
      this.app.route(options);
    }
  }
}
