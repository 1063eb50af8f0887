/**
 * Test clocks (`/v1/test_helpers/test_clocks`): frozen time for the customers created on them.
 *
 * Advancing answers at once with `status: 'advancing'`; the renewals, trial ends and retries that fall
 * due run afterwards in time order, then the clock turns `ready` and `test_helpers.test_clock.ready` is
 * emitted, as on Stripe. Clients poll the clock (or wait for the event).
 */
import type { Engine } from '../engine.js';
import { invalidRequest } from '../errors.js';
import { newId } from '../ids.js';
import { paginate } from '../pagination.js';
import type { ApiHandler, Router } from '../router.js';
import { DAY } from '../shapes.js';
import type { TestClock } from '../types.js';

export function registerTestClocks(api: Router<ApiHandler>): void {
  api
    .add('POST', '/v1/test_helpers/test_clocks', (engine, request) => {
      const { params } = request;
      const now = engine.realNow();
      const clock: TestClock = {
        id: newId('clock', 24),
        object: 'test_helpers.test_clock',
        created: now,
        deletes_after: now + 30 * DAY,
        frozen_time: params.requiredInteger('frozen_time'),
        livemode: false,
        name: params.string('name') ?? null,
        status: 'ready',
        status_details: {},
      };
      engine.store.insert<'test_helpers.test_clock'>(clock);
      engine.emit('test_helpers.test_clock.created', clock);
      return engine.view(clock);
    })
    .add('GET', '/v1/test_helpers/test_clocks', (engine, request) =>
      paginate(engine.store.all('test_helpers.test_clock'), request.params, '/v1/test_helpers/test_clocks'),
    )
    .add('GET', '/v1/test_helpers/test_clocks/:id', (engine, request) =>
      engine.view(engine.require('test_helpers.test_clock', request.pathParams.id!)),
    )
    .add('DELETE', '/v1/test_helpers/test_clocks/:id', (engine, request) => {
      const id = request.pathParams.id!;
      const clock = engine.require('test_helpers.test_clock', id);
      const view = engine.view(clock);
      // Deleting a clock deletes everything that lives on it.
      for (const kind of [
        'customer',
        'subscription',
        'subscription_item',
        'invoice',
        'invoiceitem',
      ] as const) {
        for (const object of engine.store.all(kind)) {
          if (engine.clockOf(object as never) === id) engine.store.remove(object.id);
        }
      }
      engine.store.remove(id);
      engine.emit('test_helpers.test_clock.deleted', view);
      return { id, object: 'test_helpers.test_clock', deleted: true };
    })
    .add('POST', '/v1/test_helpers/test_clocks/:id/advance', (engine, request) => {
      const clock = engine.require('test_helpers.test_clock', request.pathParams.id!);
      const target = request.params.requiredInteger('frozen_time');
      if (clock.status === 'advancing') {
        throw invalidRequest(
          'The test clock is already advancing. Wait for it to be ready.',
          undefined,
          'test_clock_advancing',
        );
      }
      if (target <= clock.frozen_time) {
        throw invalidRequest(
          'The frozen_time must be after the current frozen_time of the test clock.',
          'frozen_time',
        );
      }
      clock.status = 'advancing';
      clock.status_details = { advancing: { target_frozen_time: target } };
      engine.store.touch();
      engine.emit('test_helpers.test_clock.advancing', clock);
      engine.defer(() => advanceClock(engine, clock.id, target));
      return engine.view(clock);
    });
}

export function advanceClock(engine: Engine, clockId: string, target: number): void {
  const clock = engine.get('test_helpers.test_clock', clockId);
  if (clock === undefined) return;
  try {
    engine.advanceScope(clockId, target, (time) => {
      clock.frozen_time = time;
    });
  } finally {
    clock.frozen_time = Math.max(clock.frozen_time, target);
    clock.status = 'ready';
    clock.status_details = {};
    engine.store.touch();
    engine.emit('test_helpers.test_clock.ready', clock);
  }
}
