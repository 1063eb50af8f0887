/**
 * Hot counters for rate and concurrency limits: in memory for one instance, on Redis for several.
 * The contract suite (`counters-contract.ts`) is not exported here: it imports vitest.
 */
export {
  type CountersFailureMode,
  createFallbackCounters,
  type FallbackCountersOptions,
} from './fallback-counters.js';
export { createMemoryCounters, type MemoryCounters, type MemoryCountersOptions } from './memory-counters.js';
export { createRedisCounters, type RedisCountersOptions } from './redis-counters.js';
