/**
 * Setup intents: save a card for later (`/v1/setup_intents` create, confirm, retrieve, cancel, list).
 */
import type { Engine } from '../engine.js';
import { cardDeclined, invalidRequest } from '../errors.js';
import { newId, randomToken } from '../ids.js';
import { paginate } from '../pagination.js';
import type { Params } from '../params.js';
import { attachPaymentMethod, behaviorOf, resolvePaymentMethod } from '../payments.js';
import type { ApiHandler, Router } from '../router.js';
import type { SetupIntent } from '../types.js';

export function registerSetupIntents(api: Router<ApiHandler>): void {
  api
    .add('POST', '/v1/setup_intents', (engine, request) => {
      const { params } = request;
      const intent = createSetupIntent(engine, params);
      if (params.boolean('confirm')) confirmSetupIntent(engine, intent, params);
      return engine.view(intent);
    })
    .add('GET', '/v1/setup_intents', (engine, request) => {
      const customer = request.params.string('customer');
      const intents = engine.store
        .all('setup_intent')
        .filter((si) => customer === undefined || si.customer === customer);
      return paginate(intents, request.params, '/v1/setup_intents');
    })
    .add('GET', '/v1/setup_intents/:id', (engine, request) =>
      engine.view(engine.require('setup_intent', request.pathParams.id!)),
    )
    .add('POST', '/v1/setup_intents/:id/confirm', (engine, request) => {
      const intent = engine.require('setup_intent', request.pathParams.id!);
      confirmSetupIntent(engine, intent, request.params);
      return engine.view(intent);
    })
    .add('POST', '/v1/setup_intents/:id/cancel', (engine, request) => {
      const intent = engine.require('setup_intent', request.pathParams.id!);
      if (intent.status === 'succeeded')
        throw invalidRequest(
          'This SetupIntent has already succeeded.',
          undefined,
          'setup_intent_unexpected_state',
        );
      intent.status = 'canceled';
      engine.store.touch();
      engine.emit('setup_intent.canceled', intent);
      return engine.view(intent);
    });
}

export function createSetupIntent(engine: Engine, params: Params): SetupIntent {
  const customer = params.string('customer') ?? null;
  if (customer !== null) engine.require('customer', customer, 'customer');
  const id = newId('seti', 24);
  const intent: SetupIntent = {
    id,
    object: 'setup_intent',
    allowed_payment_method_types: null,
    application: null,
    automatic_payment_methods: null,
    cancellation_reason: null,
    client_secret: `${id}_secret_${randomToken(24)}`,
    created: engine.now(customer ? engine.clockOf(engine.get('customer', customer)) : null),
    customer,
    customer_account: null,
    description: params.string('description') ?? null,
    excluded_payment_method_types: null,
    flow_directions: null,
    last_setup_error: null,
    latest_attempt: null,
    livemode: false,
    mandate: null,
    metadata: params.metadata() ?? {},
    next_action: null,
    on_behalf_of: null,
    payment_method: null,
    payment_method_configuration_details: null,
    payment_method_options: {
      card: { mandate_options: null, network: null, request_three_d_secure: 'automatic' },
    },
    payment_method_types: params.has('payment_method_types')
      ? params.strings('payment_method_types')
      : ['card'],
    single_use_mandate: null,
    status: 'requires_payment_method',
    usage: params.string('usage') ?? 'off_session',
  };
  const pm = params.string('payment_method');
  if (pm) {
    intent.payment_method = resolvePaymentMethod(engine, pm).id;
    intent.status = 'requires_confirmation';
  }
  engine.store.insert<'setup_intent'>(intent);
  engine.emit('setup_intent.created', intent);
  return intent;
}

export function confirmSetupIntent(engine: Engine, intent: SetupIntent, params: Params): void {
  const pm = params.string('payment_method');
  if (pm) intent.payment_method = resolvePaymentMethod(engine, pm).id;
  const paymentMethodId = typeof intent.payment_method === 'string' ? intent.payment_method : null;
  if (paymentMethodId === null) {
    throw invalidRequest(
      "You cannot confirm this SetupIntent because it's missing a payment method.",
      'payment_method',
      'setup_intent_unexpected_state',
    );
  }
  const { behavior, declineCode } = behaviorOf(engine, paymentMethodId);
  if (behavior === 'decline') {
    const error = cardDeclined(declineCode);
    intent.status = 'requires_payment_method';
    intent.last_setup_error = {
      type: 'card_error',
      code: error.body.code,
      decline_code: declineCode,
      message: error.body.message,
    } as SetupIntent['last_setup_error'];
    engine.store.touch();
    engine.emit('setup_intent.setup_failed', intent);
    error.body.setup_intent = engine.view(intent);
    throw error;
  }
  if (typeof intent.customer === 'string') {
    attachPaymentMethod(engine, engine.require('payment_method', paymentMethodId), intent.customer);
  }
  intent.status = 'succeeded';
  intent.last_setup_error = null;
  engine.store.touch();
  engine.emit('setup_intent.succeeded', intent);
}
