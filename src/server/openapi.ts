/**
 * The OpenAPI 3.1 document, generated from the routes' own zod schemas (zod 4's JSON Schema output
 * is draft 2020-12, which OpenAPI 3.1 uses as is). Request schemas are described as they are read
 * (`io: 'input'`, so defaulted fields are optional), responses as they are written.
 */
import { z } from 'zod';
import { type ErrorCode, errorRegistry } from '../core/errors.js';
import type { Access, DocumentedRoute } from './api-router.js';

const errorCodes = Object.keys(errorRegistry) as [ErrorCode, ...ErrorCode[]];

/** The error envelope of every failure: `{ error, message, ...details }`. */
export const errorEnvelopeSchema = z.looseObject({
  error: z.enum(errorCodes).describe('A stable code from docs/errors.md'),
  message: z.string().describe('A sentence for people'),
  issues: z
    .array(z.object({ path: z.string(), message: z.string() }))
    .optional()
    .describe('invalid_request: one entry per problem, `path` naming the field'),
  upgrade_url: z.string().nullable().optional().describe('Limit errors: where to upgrade'),
  retry_after: z.number().int().optional().describe('429: seconds to wait, as in Retry-After'),
  plan: z.string().optional().describe('Limit errors: the plan whose limit applied'),
  event_id: z.string().optional().describe('conflict: the event recorded with this idempotency key'),
  operation: z.string().optional().describe('quota_exceeded by an operation limit: the operation'),
  window: z
    .enum(['minute', 'hour', 'day', 'month'])
    .optional()
    .describe('quota_exceeded by an operation limit: the window that is full (month = the credit period)'),
  limit: z.number().int().optional().describe('quota_exceeded by an operation limit: units per window'),
  used: z
    .number()
    .int()
    .optional()
    .describe('quota_exceeded by an operation limit: units counted in the window'),
  requested: z.number().int().optional().describe('quota_exceeded by an operation limit: units asked for'),
});

const decisionHeaderNames = [
  'X-Tier',
  'X-RateLimit-Limit-Minute',
  'X-RateLimit-Remaining-Minute',
  'X-RateLimit-Limit-Day',
  'X-RateLimit-Remaining-Day',
  'X-RateLimit-Reset',
  'X-Credits-Used',
  'X-Credits-Remaining',
  'X-Credits-Total',
  'X-Quota-Warning',
  'X-Request-Duration-Ms',
  'RateLimit-Policy',
  'RateLimit',
];

type JsonSchema = Record<string, unknown>;

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: Record<string, unknown>;
  [extension: string]: unknown;
}

export interface OpenApiOperation {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  'x-access': Access;
  /** Present (true) on the routes a billing session may call. */
  'x-billing-session'?: true;
  security: Array<Record<string, string[]>>;
  parameters: Array<Record<string, unknown>>;
  requestBody?: Record<string, unknown>;
  responses: Record<string, Record<string, unknown>>;
}

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

/** `/api/v1/admin/customers/:id` -> `/api/v1/admin/customers/{id}` */
export function openApiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function parametersOf(schema: z.ZodType | null, where: 'path' | 'query'): Array<Record<string, unknown>> {
  if (!schema) return [];
  const object = jsonSchema(schema, 'input');
  const properties = (object.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((object.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => {
    const { description, ...propertySchema } = property;
    return {
      name,
      in: where,
      required: where === 'path' || required.has(name),
      ...(typeof description === 'string' ? { description } : {}),
      schema: propertySchema,
    };
  });
}

function errorResponses(codes: readonly ErrorCode[]): Record<string, Record<string, unknown>> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) {
    const status = errorRegistry[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const responses: Record<string, Record<string, unknown>> = {};
  for (const [status, group] of [...byStatus].sort(([a], [b]) => a - b)) {
    responses[String(status)] = {
      description: group.map((code) => `\`${code}\`: ${errorRegistry[code].message}`).join(' '),
      ...(status === 429 ? { headers: { 'Retry-After': { $ref: '#/components/headers/Retry-After' } } } : {}),
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
    };
  }
  return responses;
}

const billingSessionNote =
  'Also callable with a billing session (`Authorization: Bearer tgs_...`, from POST /api/v1/billing/dashboard-session).';

function operationFor(route: DocumentedRoute): OpenApiOperation {
  const secured = route.access !== 'public';
  const success: Record<string, unknown> = {
    description: route.responseDescription,
    content: { [route.contentType]: { schema: jsonSchema(route.response, 'output') } },
  };
  if (route.decisionHeaders) {
    success.headers = Object.fromEntries(
      decisionHeaderNames.map((name) => [name, { $ref: `#/components/headers/${name}` }]),
    );
  }
  const operation: OpenApiOperation = {
    operationId: `${route.method.toLowerCase()}${route.url.replace(/[^A-Za-z0-9]+(.)?/g, (_match, next?: string) => (next ?? '').toUpperCase())}`,
    summary: route.summary,
    ...(route.description || route.sessions
      ? {
          description: [route.description, route.sessions ? billingSessionNote : null]
            .filter(Boolean)
            .join('\n\n'),
        }
      : {}),
    tags: [route.tag],
    'x-access': route.access,
    ...(route.sessions ? { 'x-billing-session': true as const } : {}),
    security: secured
      ? [{ ApiKeyHeader: [] }, { BearerAuth: [] }, ...(route.sessions ? [{ BillingSession: [] }] : [])]
      : [],
    parameters: [...parametersOf(route.params, 'path'), ...parametersOf(route.query, 'query')],
    responses: { [String(route.status)]: success, ...errorResponses(route.errors) },
  };
  if (route.body) {
    const body = jsonSchema(route.body, 'input');
    const required = Array.isArray(body.required) && body.required.length > 0;
    operation.requestBody = {
      required: required || Array.isArray(body.anyOf),
      content: { 'application/json': { schema: body } },
    };
  }
  return operation;
}

export function buildOpenApiDocument(routes: readonly DocumentedRoute[], version: string): OpenApiDocument {
  const paths: OpenApiDocument['paths'] = {};
  for (const route of routes) {
    const path = openApiPath(route.url);
    paths[path] = { ...paths[path], [route.method.toLowerCase()]: operationFor(route) };
  }
  const headerSchema = { schema: { type: 'string' } };
  return {
    openapi: '3.1.0',
    info: {
      title: 'Tollgate',
      version,
      description:
        'Plans, usage metering, quotas, rate limits and feature gates. Authenticate with `X-API-Key: <key>` ' +
        'or `Authorization: Bearer <key>`. Bodies are JSON (`Content-Type: application/json`); every error ' +
        'answers the envelope `Error`. Credits are exact decimal strings; money is in minor units.',
    },
    paths,
    components: {
      schemas: { Error: jsonSchema(errorEnvelopeSchema, 'output') },
      securitySchemes: {
        ApiKeyHeader: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        BearerAuth: { type: 'http', scheme: 'bearer' },
        BillingSession: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'tgs_',
          description:
            'A billing session for the billing page, from a one-time dashboard link. Accepted only by the ' +
            'operations marked `x-billing-session`; any other answers 403 `forbidden`.',
        },
      },
      headers: {
        'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer' } },
        ...Object.fromEntries(decisionHeaderNames.map((name) => [name, headerSchema])),
      },
    },
  };
}
