/**
 * The control API under `/_emulator` (no API key): reset, a state summary, fault injection, emulator
 * time for objects outside test clocks, webhook delivery log and endpoint registration. It is for tests
 * and tooling, so it answers plain JSON, not Stripe's envelope.
 */
import type { Engine } from './engine.js';
import type { FaultInput } from './faults.js';
import { createWebhookEndpoint } from './resources/events.js';
import type { PageHandler, PageResponse, Router } from './router.js';

export interface ControlHooks {
  reset(): void;
  summary(): unknown;
}

function json(body: unknown, status = 200): PageResponse {
  return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body, null, 2) };
}

function number(value: unknown): number | undefined {
  if (value === undefined || value === '') return undefined;
  const parsed = Number(value);
  return Number.isFinite(parsed) ? parsed : undefined;
}

export function registerControl(control: Router<PageHandler>, hooks: ControlHooks): void {
  control
    .add('GET', '/_emulator/health', () => json({ ok: true }))
    .add('GET', '/_emulator/state', () => json(hooks.summary()))
    .add('POST', '/_emulator/reset', () => {
      hooks.reset();
      return json({ ok: true });
    })
    .add('GET', '/_emulator/faults', (engine) => json({ faults: engine.faults.list() }))
    .add('DELETE', '/_emulator/faults', (engine) => {
      engine.faults.clear();
      return json({ faults: [] });
    })
    .add('POST', '/_emulator/faults', (engine, request) => {
      const raw = request.form.raw;
      const input: FaultInput = {
        type: String(raw.type ?? ''),
        count: number(raw.count),
        rate: number(raw.rate),
        status: number(raw.status),
        delay_ms: number(raw.delay_ms),
        path_prefix: typeof raw.path_prefix === 'string' ? raw.path_prefix : undefined,
        method: typeof raw.method === 'string' ? raw.method : undefined,
        event_type: typeof raw.event_type === 'string' ? raw.event_type : undefined,
        seed: number(raw.seed),
      };
      return json({ fault: engine.faults.add(input) }, 201);
    })
    .add('POST', '/_emulator/time', (engine, request) => {
      const advance = number(request.form.raw.advance_seconds) ?? 0;
      engine.timeOffset += advance;
      engine.runRealTime();
      return json({ now: engine.realNow(), offset_seconds: engine.timeOffset });
    })
    .add('GET', '/_emulator/webhooks', (engine) =>
      json({ idle: engine.webhooks.isIdle(), deliveries: engine.webhooks.log }),
    )
    .add('POST', '/_emulator/webhook_endpoints', (engine: Engine, request) => {
      const raw = request.form.raw;
      const events = Array.isArray(raw.enabled_events) ? raw.enabled_events.map(String) : ['*'];
      const endpoint = createWebhookEndpoint(engine, {
        url: String(raw.url ?? ''),
        enabledEvents: events,
        secret: typeof raw.secret === 'string' ? raw.secret : undefined,
      });
      return json({ ...endpoint, secret: engine.store.note(endpoint.id).secret }, 201);
    });
}
