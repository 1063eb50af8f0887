/**
 * Events (`/v1/events`) and webhook endpoints (`/v1/webhook_endpoints`).
 *
 * Endpoints created here receive signed deliveries of the events they subscribe to. Every endpoint gets the
 * emulator's webhook secret unless one is set programmatically, so a single `whsec_...` verifies all.
 */
import type { Engine } from '../engine.js';
import { invalidRequest } from '../errors.js';
import { newId } from '../ids.js';
import { paginate } from '../pagination.js';
import type { ApiHandler, Router } from '../router.js';
import type { WebhookEndpoint } from '../types.js';

export function registerEvents(api: Router<ApiHandler>): void {
  api
    .add('GET', '/v1/events', (engine, request) => {
      const { params } = request;
      const type = params.string('type');
      const types = params.strings('types');
      const events = engine.store
        .all('event')
        .filter((event) => type === undefined || matchesType(event.type, type))
        .filter((event) => types.length === 0 || types.includes(event.type));
      return paginate(events, params, '/v1/events');
    })
    .add('GET', '/v1/events/:id', (engine, request) =>
      engine.view(engine.require('event', request.pathParams.id!)),
    )
    .add('POST', '/v1/webhook_endpoints', (engine, request) => {
      const { params } = request;
      const endpoint = createWebhookEndpoint(engine, {
        url: params.requiredString('url'),
        enabledEvents: params.strings('enabled_events'),
        description: params.string('description') ?? null,
        metadata: params.metadata() ?? {},
        apiVersion: params.string('api_version') ?? null,
      });
      return { ...engine.view(endpoint), secret: String(engine.store.note(endpoint.id).secret) };
    })
    .add('GET', '/v1/webhook_endpoints', (engine, request) =>
      paginate(engine.store.all('webhook_endpoint'), request.params, '/v1/webhook_endpoints'),
    )
    .add('GET', '/v1/webhook_endpoints/:id', (engine, request) =>
      engine.view(engine.require('webhook_endpoint', request.pathParams.id!)),
    )
    .add('POST', '/v1/webhook_endpoints/:id', (engine, request) => {
      const endpoint = engine.require('webhook_endpoint', request.pathParams.id!);
      const { params } = request;
      if (params.has('url')) endpoint.url = params.requiredString('url');
      if (params.has('enabled_events'))
        endpoint.enabled_events = requireEvents(params.strings('enabled_events'));
      if (params.has('description')) endpoint.description = params.nullableString('description') ?? null;
      if (params.has('disabled')) endpoint.status = params.boolean('disabled') ? 'disabled' : 'enabled';
      const metadata = params.metadata(endpoint.metadata);
      if (metadata) endpoint.metadata = metadata;
      engine.store.touch();
      return engine.view(endpoint);
    })
    .add('DELETE', '/v1/webhook_endpoints/:id', (engine, request) => {
      const id = request.pathParams.id!;
      engine.require('webhook_endpoint', id);
      engine.store.remove(id);
      return { id, object: 'webhook_endpoint', deleted: true };
    });
}

/** `type` accepts Stripe's wildcard form (`customer.*`). */
function matchesType(actual: string, wanted: string): boolean {
  if (wanted.endsWith('*')) return actual.startsWith(wanted.slice(0, -1));
  return actual === wanted;
}

function requireEvents(events: string[]): string[] {
  if (events.length === 0)
    throw invalidRequest('Missing required param: enabled_events.', 'enabled_events', 'parameter_missing');
  return events;
}

export interface WebhookEndpointInput {
  url: string;
  enabledEvents: string[];
  description?: string | null;
  metadata?: Record<string, string>;
  apiVersion?: string | null;
  secret?: string;
}

export function createWebhookEndpoint(engine: Engine, input: WebhookEndpointInput): WebhookEndpoint {
  const endpoint: WebhookEndpoint = {
    id: newId('we', 24),
    object: 'webhook_endpoint',
    api_version: input.apiVersion ?? null,
    application: null,
    created: engine.realNow(),
    description: input.description ?? null,
    enabled_events: requireEvents(input.enabledEvents),
    livemode: false,
    metadata: input.metadata ?? {},
    status: 'enabled',
    url: input.url,
  };
  engine.store.insert<'webhook_endpoint'>(endpoint);
  engine.store.setNote(endpoint.id, { secret: input.secret ?? engine.settings.webhookSecret });
  return endpoint;
}
