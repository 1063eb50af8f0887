/**
 * A new user's Fastify app in TypeScript, built with strict `tsc` (exactOptionalPropertyTypes,
 * noPropertyAccessFromIndexSignature, skipLibCheck off) against Tollgate's declarations from the
 * packed tarball: a catalog in code, SQLite in memory. Prints `listening <url> <api key>`.
 */
import Fastify from 'fastify';
import { type Catalog, createMemoryCounters, createStore, createTollgate, defineCatalog } from 'tollgate';
import { type FastifyGate, tollgateFastify } from 'tollgate/fastify';

const catalog: Catalog = defineCatalog({
  currency: 'usd',
  default_plan: 'free',
  features: { federation: 'Federation' },
  operations: { search: 0.1 },
  plans: {
    free: { name: 'Free', limits: { credits: 100, requests: { minute: 10 } } },
    pro: { name: 'Pro', prices: { month: 2900 }, limits: { credits: 100_000 }, features: ['federation'] },
  },
});

const store = createStore('sqlite::memory:');
await store.migrate();
const tollgate = createTollgate({ catalog, store, counters: createMemoryCounters() });
const customer = await tollgate.createCustomer({ email: 'ada@example.com', plan: 'free' });
const issued = await tollgate.issueApiKey(customer.id, 'fastify app');

const gate: FastifyGate = tollgateFastify({ tollgate });
const app = Fastify();
app.post('/search', { preHandler: gate({ operation: 'search' }) }, async () => ({ hits: [] }));
app.get('/federation', { preHandler: gate({ feature: 'federation' }) }, async () => ({ peers: [] }));
const address = await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`listening ${address} ${issued.key}\n`);
