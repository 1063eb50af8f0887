/**
 * A new user's Express app, in plain JavaScript, on Tollgate from the packed tarball: SQLite in a file
 * beside it, the demo catalog, one customer on the free plan. Prints `listening <url> <api key>`.
 */
import express from 'express';
import { createMemoryCounters, createStore, createTollgate, demoCatalog } from 'tollgate';
import { tollgateExpress } from 'tollgate/express';

const store = createStore('sqlite:app.db');
await store.migrate();
const tollgate = createTollgate({ catalog: demoCatalog(), store, counters: createMemoryCounters() });
const customer = await tollgate.createCustomer({ email: 'ada@example.com' });
const { key } = await tollgate.issueApiKey(customer.id, 'express app');

const gate = tollgateExpress({ tollgate });
const app = express();
app.post('/search', gate({ operation: 'search' }), (_req, res) => res.json({ hits: [] }));
app.get('/federation', gate({ feature: 'federation' }), (_req, res) => res.json({ peers: [] }));
const server = app.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening http://127.0.0.1:${server.address().port} ${key}\n`);
});
