/**
 * A small method + path-pattern router (`/v1/customers/:id`) shared by the API, hosted pages and the
 * control API.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Engine } from './engine.js';
import type { Params } from './params.js';

export interface ApiRequest {
  method: string;
  path: string;
  pathParams: Record<string, string>;
  params: Params;
  requestId: string;
  idempotencyKey: string | null;
  headers: IncomingHttpHeaders;
}

/** A handler returns the response body (status 200) or an `ApiResult` with another status. */
export type ApiHandler = (engine: Engine, request: ApiRequest) => unknown;

export interface PageResponse {
  status: number;
  headers?: Record<string, string>;
  body: string | Uint8Array;
}

export interface PageRequest {
  method: string;
  path: string;
  pathParams: Record<string, string>;
  query: URLSearchParams;
  form: Params;
  body: string;
  headers: IncomingHttpHeaders;
}

export type PageHandler = (engine: Engine, request: PageRequest) => PageResponse | Promise<PageResponse>;

interface Route<H> {
  method: string;
  segments: string[];
  handler: H;
}

export class Router<H> {
  private routes: Array<Route<H>> = [];

  add(method: string, pattern: string, handler: H): this {
    this.routes.push({ method: method.toUpperCase(), segments: pattern.split('/').filter(Boolean), handler });
    return this;
  }

  /** `undefined` when no pattern matches the path; `methodAllowed: false` when only the method differs. */
  match(
    method: string,
    path: string,
  ): { handler: H; pathParams: Record<string, string> } | { handler: undefined; pathMatched: boolean } {
    const parts = path.split('/').filter(Boolean).map(decodeSegment);
    let pathMatched = false;
    for (const route of this.routes) {
      const pathParams = matchSegments(route.segments, parts);
      if (pathParams === undefined) continue;
      pathMatched = true;
      if (route.method === method.toUpperCase()) return { handler: route.handler, pathParams };
    }
    return { handler: undefined, pathMatched };
  }
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function matchSegments(pattern: string[], parts: string[]): Record<string, string> | undefined {
  if (pattern.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let index = 0; index < pattern.length; index += 1) {
    const expected = pattern[index]!;
    const actual = parts[index]!;
    if (expected.startsWith(':')) params[expected.slice(1)] = actual;
    else if (expected !== actual) return undefined;
  }
  return params;
}

/** What every resource module exports: its routes, registered on the shared API router. */
export interface ResourceModule {
  register(api: Router<ApiHandler>, engine: Engine): void;
}

/** An explicit status for a handler result; plain objects answer 200. */
export class ApiResult {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {}
}
