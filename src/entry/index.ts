/**
 * `tollgate`: the engine and what it is built from. Create a catalog, a store and counters, then
 * `createTollgate`; put it in front of routes with `tollgate/express`, `tollgate/fastify` or
 * `tollgate/hono`, or serve the HTTP API with `tollgate/server`. PostgreSQL (`pg`) and Redis
 * (`ioredis`) are optional peer dependencies, loaded only when a store or counters use them.
 *
 * @example
 * ```ts
 * import { createMemoryCounters, createStore, createTollgate, loadCatalogFile } from 'tollgate';
 *
 * const store = createStore(process.env.DATABASE_URL ?? 'sqlite:billing.db');
 * await store.migrate();
 * const tollgate = createTollgate({
 *   catalog: loadCatalogFile('tollgate.config.yaml'),
 *   store,
 *   counters: createMemoryCounters(),
 * });
 * const customer = await tollgate.createCustomer({ email: 'ada@example.com', plan: 'free' });
 * const { key } = await tollgate.issueApiKey(customer.id, 'default');
 * ```
 */
export { MissingPeerError } from '../config/optional-peer.js';
export type { AccountAccess } from '../core/account.js';
export type { IssuedKey } from '../core/api-keys.js';
export type { Catalog, Operation, Overage, Plan, PlanLimits } from '../core/catalog/catalog.js';
export { CatalogError, type CatalogIssue } from '../core/catalog/catalog-error.js';
export type { CatalogInput } from '../core/catalog/catalog-schema.js';
export { defineCatalog } from '../core/catalog/define-catalog.js';
export { demoCatalog } from '../core/catalog/demo-catalog.js';
export { loadCatalogFile, parseCatalogText } from '../core/catalog/load-catalog-file.js';
export { parseCatalog } from '../core/catalog/parse-catalog.js';
export { type Clock, ManualClock, systemClock } from '../core/clock.js';
export type { GrantInput } from '../core/contract/customer-grants.js';
export type { Grant, GrantExpiry, GrantStanding, GrantStatus } from '../core/contract/grants.js';
export { type ErrorCode, type ErrorIssue, errorRegistry, TollgateError } from '../core/errors.js';
export type { GateRequest, UsageReport } from '../core/gate/gate.js';
export type { DenyReason, GateDecision, KeyRefusal } from '../core/gate/gate-decision.js';
export type {
  AccountStatus,
  ApiKeyRecord,
  Counters,
  Customer,
  CustomerPatch,
  KeyLimits,
  KeyUsage,
  PeriodUsage,
  Reservation,
  ReservationStatus,
  Store,
} from '../core/ports.js';
export type { ReserveInput, ReserveResult, SettleResult } from '../core/reservations.js';
export type { KeyChange, KeyLimitsChange } from '../core/team-keys.js';
export {
  createTollgate,
  type DecisionListener,
  type NewCustomerInput,
  type Principal,
  type Tollgate,
  type TollgateOptions,
} from '../core/tollgate.js';
export {
  createMemoryCounters,
  createRedisCounters,
  type MemoryCountersOptions,
  type RedisCountersOptions,
} from '../counters/index.js';
export {
  ConflictError,
  createPostgresStore,
  createSqliteStore,
  createStore,
  type PostgresStoreOptions,
  parseDatabaseUrl,
  type SqliteStoreOptions,
  type StoreLocation,
  type StoreOptions,
} from '../store/index.js';
