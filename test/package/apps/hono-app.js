/**
 * A new user's Hono app on Node, in plain JavaScript, on Tollgate from the packed tarball: SQLite in
 * memory, the demo catalog. Prints `listening <url> <api key>`.
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { createMemoryCounters, createStore, createTollgate, demoCatalog } from 'tollgate';
import { tollgateHono } from 'tollgate/hono';

const store = createStore('sqlite::memory:');
await store.migrate();
const tollgate = createTollgate({ catalog: demoCatalog(), store, counters: createMemoryCounters() });
const customer = await tollgate.createCustomer({ email: 'ada@example.com' });
const { key } = await tollgate.issueApiKey(customer.id, 'hono app');

const gate = tollgateHono({ tollgate });
const app = new Hono();
app.post('/search', gate({ operation: 'search' }), (c) => c.json({ hits: [] }));
app.get('/federation', gate({ feature: 'federation' }), (c) => c.json({ peers: [] }));
serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
  process.stdout.write(`listening http://127.0.0.1:${info.port} ${key}\n`);
});
