/**
 * Billing meters, meter events (v1 and v2) and event summaries.
 *
 * A meter event is accepted when its timestamp lies within the past 35 days (and no more than 5 minutes
 * ahead) of the customer's time, and its `identifier` has not been seen before. Usage is kept per meter
 * and customer, and metered subscription prices bill it at the end of each period.
 */
import type { Engine } from '../engine.js';
import { invalidRequest, missingParam, StripeApiError } from '../errors.js';
import { newId, randomToken } from '../ids.js';
import { listOf, paginate } from '../pagination.js';
import { Params } from '../params.js';
import { type ApiHandler, ApiResult, type Router } from '../router.js';
import { DAY } from '../shapes.js';
import type { Meter, MeterEvent, MeterEventSummary } from '../types.js';

/** One accepted usage record, kept in the meter's notes. */
export interface UsageRecord {
  customer: string;
  value: number;
  timestamp: number;
  identifier: string;
}

const WINDOW_PAST = 35 * DAY;
const SESSIONS_NOTE = 'meter_event_sessions';
const WINDOW_FUTURE = 5 * 60;

export function registerMeters(api: Router<ApiHandler>): void {
  api
    .add('POST', '/v1/billing/meters', (engine, request) => engine.view(createMeter(engine, request.params)))
    .add('GET', '/v1/billing/meters', (engine, request) => {
      const status = request.params.string('status');
      const meters = engine.store
        .all('billing.meter')
        .filter((meter) => status === undefined || meter.status === status);
      return paginate(meters, request.params, '/v1/billing/meters');
    })
    .add('GET', '/v1/billing/meters/:id', (engine, request) =>
      engine.view(engine.require('billing.meter', request.pathParams.id!)),
    )
    .add('POST', '/v1/billing/meters/:id', (engine, request) => {
      const meter = engine.require('billing.meter', request.pathParams.id!);
      if (request.params.has('display_name'))
        meter.display_name = request.params.requiredString('display_name');
      meter.updated = engine.realNow();
      engine.store.touch();
      engine.emit('billing.meter.updated', meter);
      return engine.view(meter);
    })
    .add('POST', '/v1/billing/meters/:id/deactivate', (engine, request) =>
      setMeterStatus(engine, request.pathParams.id!, 'inactive'),
    )
    .add('POST', '/v1/billing/meters/:id/reactivate', (engine, request) =>
      setMeterStatus(engine, request.pathParams.id!, 'active'),
    )
    .add('GET', '/v1/billing/meters/:id/event_summaries', (engine, request) =>
      eventSummaries(engine, request.pathParams.id!, request.params),
    )
    .add('POST', '/v1/billing/meter_events', (engine, request) => {
      const { params } = request;
      const payload = params.object('payload');
      if (payload === undefined) throw missingParam('payload');
      return recordMeterEvent(engine, {
        eventName: params.requiredString('event_name'),
        payload: Object.fromEntries(Object.entries(payload.raw).map(([key, value]) => [key, String(value)])),
        identifier: params.string('identifier'),
        timestamp: params.integer('timestamp'),
      });
    })
    .add('POST', '/v2/billing/meter_events', (engine, request) => {
      const { params } = request;
      const event = recordMeterEvent(engine, {
        eventName: params.requiredString('event_name'),
        payload: stringRecord(params.raw.payload),
        identifier: params.string('identifier'),
        timestamp: parseV2Timestamp(params.string('timestamp')),
      });
      return toV2(event);
    })
    .add('POST', '/v2/billing/meter_event_session', (engine) => {
      const now = engine.realNow();
      const session = {
        id: newId('mes', 24),
        object: 'v2.billing.meter_event_session',
        authentication_token: `mes_tok_${randomToken(32)}`,
        created: new Date(now * 1000).toISOString(),
        expires_at: new Date((now + 15 * 60) * 1000).toISOString(),
        livemode: false,
      };
      // Session tokens are kept in the store's notes under a fixed key, so they persist with the state.
      engine.store.setNote(SESSIONS_NOTE, { [session.authentication_token]: now + 15 * 60 });
      return session;
    })
    .add('POST', '/v2/billing/meter_event_stream', (engine, request) => {
      const token = String(request.headers.authorization ?? '').replace(/^Bearer\s+/, '');
      const expiresAt = engine.store.note<Record<string, number>>(SESSIONS_NOTE)[token];
      if (expiresAt === undefined || expiresAt < engine.realNow()) {
        throw new StripeApiError(401, {
          type: 'authentication_error',
          code: 'billing_meter_event_session_expired',
          message: 'The meter event session token is missing or expired.',
        });
      }
      const events = Array.isArray(request.params.raw.events) ? (request.params.raw.events as unknown[]) : [];
      for (const raw of events) {
        const item = new Params((raw ?? {}) as Record<string, unknown>);
        recordMeterEvent(engine, {
          eventName: item.requiredString('event_name'),
          payload: stringRecord(item.raw.payload),
          identifier: item.string('identifier'),
          timestamp: parseV2Timestamp(item.string('timestamp')),
        });
      }
      return new ApiResult(202, {});
    });
}

function stringRecord(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null) throw missingParam('payload');
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([key, item]) => [key, String(item)]),
  );
}

function parseV2Timestamp(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const millis = Date.parse(value);
  if (Number.isNaN(millis)) throw invalidRequest('timestamp must be an RFC 3339 date-time', 'timestamp');
  return Math.floor(millis / 1000);
}

function toV2(event: MeterEvent): Record<string, unknown> {
  return {
    object: 'v2.billing.meter_event',
    created: new Date(event.created * 1000).toISOString(),
    event_name: event.event_name,
    identifier: event.identifier,
    livemode: false,
    payload: event.payload,
    timestamp: new Date(event.timestamp * 1000).toISOString(),
  };
}

function createMeter(engine: Engine, params: Params): Meter {
  const eventName = params.requiredString('event_name');
  if (
    engine.store
      .all('billing.meter')
      .some((meter) => meter.event_name === eventName && meter.status === 'active')
  ) {
    throw invalidRequest(
      `An active meter with event_name '${eventName}' already exists.`,
      'event_name',
      'resource_already_exists',
    );
  }
  const now = engine.realNow();
  const mapping = params.object('customer_mapping');
  const window = params.oneOf('event_time_window', ['day', 'hour'] as const) ?? null;
  const meter: Meter = {
    id: newId('mtr_test', 24),
    object: 'billing.meter',
    created: now,
    customer_mapping: {
      event_payload_key: mapping?.string('event_payload_key') ?? 'stripe_customer_id',
      type: 'by_id',
    },
    default_aggregation: {
      formula:
        params.object('default_aggregation')?.oneOf('formula', ['count', 'last', 'sum'] as const) ??
        missing('default_aggregation[formula]'),
    },
    display_name: params.requiredString('display_name'),
    event_name: eventName,
    event_time_window: window,
    livemode: false,
    status: 'active',
    status_transitions: { deactivated_at: null },
    updated: now,
    value_settings: {
      event_payload_key: params.object('value_settings')?.string('event_payload_key') ?? 'value',
    },
  };
  engine.store.insert<'billing.meter'>(meter);
  engine.store.setNote(meter.id, { usage: [] });
  engine.emit('billing.meter.created', meter);
  return meter;
}

function missing(param: string): never {
  throw missingParam(param);
}

function setMeterStatus(engine: Engine, id: string, status: 'active' | 'inactive'): Meter {
  const meter = engine.require('billing.meter', id);
  meter.status = status;
  meter.status_transitions.deactivated_at = status === 'inactive' ? engine.realNow() : null;
  meter.updated = engine.realNow();
  engine.store.touch();
  engine.emit(status === 'inactive' ? 'billing.meter.deactivated' : 'billing.meter.reactivated', meter);
  return engine.view(meter);
}

export function usageOf(engine: Engine, meterId: string): UsageRecord[] {
  const note = engine.store.note<{ usage: UsageRecord[] }>(meterId);
  if (note.usage === undefined) note.usage = [];
  return note.usage;
}

interface MeterEventInput {
  eventName: string;
  payload: Record<string, string>;
  identifier: string | undefined;
  timestamp: number | undefined;
}

export function recordMeterEvent(engine: Engine, input: MeterEventInput): MeterEvent {
  const meter = engine.store
    .all('billing.meter')
    .find((item) => item.event_name === input.eventName && item.status === 'active');
  if (meter === undefined) {
    throw invalidRequest(
      `No active meter found for event_name '${input.eventName}'.`,
      'event_name',
      'resource_missing',
    );
  }
  const customerKey = meter.customer_mapping.event_payload_key;
  const customerId = input.payload[customerKey];
  if (customerId === undefined) throw missingParam(`payload[${customerKey}]`);
  const customer = engine.require('customer', customerId, `payload[${customerKey}]`);
  const valueKey = meter.value_settings.event_payload_key;
  const rawValue =
    input.payload[valueKey] ?? (meter.default_aggregation.formula === 'count' ? '1' : undefined);
  if (rawValue === undefined) throw missingParam(`payload[${valueKey}]`);
  if (!/^-?\d+$/.test(rawValue))
    throw invalidRequest(`payload[${valueKey}] must be a whole number.`, `payload[${valueKey}]`);
  const now = engine.nowFor(customer as never);
  const timestamp = input.timestamp ?? now;
  if (timestamp < now - WINDOW_PAST || timestamp > now + WINDOW_FUTURE) {
    throw invalidRequest(
      'Timestamp must be within the past 35 days and not more than 5 minutes in the future.',
      'timestamp',
      'timestamp_outside_window',
    );
  }
  const usage = usageOf(engine, meter.id);
  const identifier = input.identifier ?? newId('mev', 20);
  if (usage.some((record) => record.identifier === identifier)) {
    throw invalidRequest(
      `An event with identifier '${identifier}' already exists.`,
      'identifier',
      'meter_event_duplicate_identifier',
    );
  }
  usage.push({ customer: customerId, value: Number.parseInt(rawValue, 10), timestamp, identifier });
  engine.store.touch();
  return {
    object: 'billing.meter_event',
    created: now,
    event_name: input.eventName,
    identifier,
    livemode: false,
    payload: input.payload,
    timestamp,
  };
}

/** Aggregates usage in `[start, end)` with the meter's formula. */
export function aggregateUsage(
  engine: Engine,
  meter: Meter,
  customer: string,
  start: number,
  end: number,
): number {
  const records = usageOf(engine, meter.id).filter(
    (record) => record.customer === customer && record.timestamp >= start && record.timestamp < end,
  );
  switch (meter.default_aggregation.formula) {
    case 'count':
      return records.length;
    case 'last':
      return (
        records.reduce<UsageRecord | undefined>(
          (last, record) => (last === undefined || record.timestamp >= last.timestamp ? record : last),
          undefined,
        )?.value ?? 0
      );
    default:
      return records.reduce((sum, record) => sum + record.value, 0);
  }
}

function eventSummaries(engine: Engine, meterId: string, params: Params) {
  const meter = engine.require('billing.meter', meterId);
  const customer = params.requiredString('customer');
  const start = params.requiredInteger('start_time');
  const end = params.requiredInteger('end_time');
  const grouping = params.oneOf('value_grouping_window', ['day', 'hour'] as const);
  const step = grouping === 'hour' ? 3600 : grouping === 'day' ? DAY : end - start;
  const summaries: MeterEventSummary[] = [];
  for (let from = start; from < end; from += step) {
    const to = Math.min(from + step, end);
    summaries.push({
      id: newId('mtrusg', 20),
      object: 'billing.meter_event_summary',
      aggregated_value: aggregateUsage(engine, meter, customer, from, to),
      end_time: to,
      livemode: false,
      meter: meter.id,
      start_time: from,
    });
  }
  if (!params.has('limit') && !params.has('starting_after') && !params.has('ending_before')) {
    return listOf(summaries, `/v1/billing/meters/${meter.id}/event_summaries`);
  }
  // Summaries are not stored, so paginate over the computed list in time order.
  return paginate(summaries.reverse(), params, `/v1/billing/meters/${meter.id}/event_summaries`);
}
