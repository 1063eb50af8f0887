/**
 * Billing Portal sessions and a minimal configuration (`/v1/billing_portal/...`). The session `url`
 * opens the emulator's hosted portal page (see `hosted/portal-page.ts`).
 */
import type { Engine } from '../engine.js';
import { newId } from '../ids.js';
import { paginate } from '../pagination.js';
import type { Params } from '../params.js';
import type { ApiHandler, Router } from '../router.js';
import type { PortalConfiguration, PortalSession } from '../types.js';

export function registerBillingPortal(api: Router<ApiHandler>): void {
  api
    .add('POST', '/v1/billing_portal/sessions', (engine, request) => {
      const { params } = request;
      const customer = engine.require('customer', params.requiredString('customer'), 'customer');
      const configurationId = params.string('configuration');
      const configuration = configurationId
        ? engine.require('billing_portal.configuration', configurationId, 'configuration')
        : defaultConfiguration(engine);
      const id = newId('bps', 24);
      const flow = params.object('flow_data');
      const session: PortalSession = {
        id,
        object: 'billing_portal.session',
        configuration: configuration.id,
        created: engine.realNow(),
        customer: customer.id,
        customer_account: null,
        flow: flow ? (flowFrom(flow) as PortalSession['flow']) : null,
        livemode: false,
        locale: null,
        on_behalf_of: null,
        return_url: params.string('return_url') ?? configuration.default_return_url ?? null,
        url: `${engine.settings.publicUrl}/p/session/${id}`,
      };
      engine.store.insert<'billing_portal.session'>(session);
      engine.emit('billing_portal.session.created', session);
      return engine.view(session);
    })
    .add('POST', '/v1/billing_portal/configurations', (engine, request) =>
      engine.view(createConfiguration(engine, request.params, false)),
    )
    .add('GET', '/v1/billing_portal/configurations', (engine, request) =>
      paginate(
        engine.store.all('billing_portal.configuration'),
        request.params,
        '/v1/billing_portal/configurations',
      ),
    )
    .add('GET', '/v1/billing_portal/configurations/:id', (engine, request) =>
      engine.view(engine.require('billing_portal.configuration', request.pathParams.id!)),
    )
    .add('POST', '/v1/billing_portal/configurations/:id', (engine, request) => {
      const configuration = engine.require('billing_portal.configuration', request.pathParams.id!);
      applyFeatures(configuration, request.params);
      if (request.params.has('default_return_url'))
        configuration.default_return_url = request.params.nullableString('default_return_url') ?? null;
      configuration.updated = engine.realNow();
      engine.store.touch();
      engine.emit('billing_portal.configuration.updated', configuration);
      return engine.view(configuration);
    });
}

function flowFrom(flow: Params): Record<string, unknown> {
  const type = flow.string('type') ?? 'payment_method_update';
  const subscription =
    flow.object('subscription_cancel')?.string('subscription') ??
    flow.object('subscription_update')?.string('subscription') ??
    null;
  return {
    after_completion: { hosted_confirmation: null, redirect: null, type: 'portal_homepage' },
    subscription_cancel: type === 'subscription_cancel' ? { retention: null, subscription } : null,
    subscription_update: type === 'subscription_update' ? { subscription } : null,
    subscription_update_confirm: null,
    type,
  };
}

export function defaultConfiguration(engine: Engine): PortalConfiguration {
  const existing = engine.store
    .all('billing_portal.configuration')
    .find((configuration) => configuration.is_default);
  return existing ?? createConfiguration(engine, undefined, true);
}

function createConfiguration(
  engine: Engine,
  params: Params | undefined,
  isDefault: boolean,
): PortalConfiguration {
  const now = engine.realNow();
  const configuration: PortalConfiguration = {
    id: newId('bpc', 24),
    object: 'billing_portal.configuration',
    active: true,
    application: null,
    business_profile: {
      headline: params?.object('business_profile')?.string('headline') ?? null,
      privacy_policy_url: null,
      terms_of_service_url: null,
    },
    created: now,
    default_return_url: params?.string('default_return_url') ?? null,
    features: {
      customer_update: { allowed_updates: ['email', 'address'], enabled: true },
      invoice_history: { enabled: true },
      payment_method_update: { enabled: true, payment_method_configuration: null },
      subscription_cancel: {
        cancellation_reason: { enabled: false, options: [] },
        enabled: true,
        mode: 'at_period_end',
        proration_behavior: 'none',
      },
      subscription_update: {
        billing_cycle_anchor: null,
        default_allowed_updates: ['price'],
        enabled: true,
        products: null,
        proration_behavior: 'create_prorations',
        schedule_at_period_end: { conditions: [] },
        trial_update_behavior: 'end_trial',
      },
    },
    is_default: isDefault,
    livemode: false,
    login_page: { enabled: false, url: null },
    metadata: params?.metadata() ?? {},
    name: params?.string('name') ?? null,
    updated: now,
  } as unknown as PortalConfiguration;
  if (params) applyFeatures(configuration, params);
  engine.store.insert<'billing_portal.configuration'>(configuration);
  engine.emit('billing_portal.configuration.created', configuration);
  return configuration;
}

/** The features the hosted page honours: cancel mode, plan switching (products/prices) and proration. */
function applyFeatures(configuration: PortalConfiguration, params: Params): void {
  const features = params.object('features');
  if (features === undefined) return;
  const cancel = features.object('subscription_cancel');
  if (cancel) {
    const mode = cancel.oneOf('mode', ['at_period_end', 'immediately'] as const);
    if (mode) configuration.features.subscription_cancel.mode = mode;
    const enabled = cancel.boolean('enabled');
    if (enabled !== undefined) configuration.features.subscription_cancel.enabled = enabled;
  }
  const update = features.object('subscription_update');
  if (update) {
    const enabled = update.boolean('enabled');
    if (enabled !== undefined) configuration.features.subscription_update.enabled = enabled;
    const proration = update.oneOf('proration_behavior', [
      'always_invoice',
      'create_prorations',
      'none',
    ] as const);
    if (proration) configuration.features.subscription_update.proration_behavior = proration;
    const products = update.objects('products');
    if (products.length > 0) {
      configuration.features.subscription_update.products = products.map((product) => ({
        adjustable_quantity: { enabled: false, maximum: null, minimum: 0 },
        prices: product.strings('prices'),
        product: product.requiredString('product'),
      })) as never;
    }
  }
}
