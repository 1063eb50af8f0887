/**
 * Tollgate in front of a Hono 4 app on Node (`@hono/node-server`): a metered route, a feature-gated
 * route and an exempt health check. Run it with `npx tsx examples/hono-app.ts` and try the printed
 * curl lines.
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { decisionOf, tollgateHono } from 'tollgate/hono';
import { type DemoOptions, demoBanner, isMain, openDemoTollgate } from './demo-tollgate.js';

export interface ExampleApp {
  app: Hono;
  apiKey: string;
  close(): Promise<void>;
}

/**
 * Builds the app without serving it, so tests can serve it on a port of their own.
 * @example
 * const { app, apiKey } = await createExampleApp();
 * serve({ fetch: app.fetch, port: 3002 });
 */
export async function createExampleApp(options: DemoOptions = {}): Promise<ExampleApp> {
  const demo = await openDemoTollgate(options);
  const gate = tollgateHono({ tollgate: demo.tollgate });
  const app = new Hono();

  // Not gated at all; `/health` is also in the catalog's exempt_routes, so an app-wide gate skips it.
  app.get('/health', (c) => c.json({ status: 'ok' }));
  // Each search costs 0.1 credit; the headers tell the client what is left.
  app.post('/api/v1/search', gate({ operation: 'search' }), (c) =>
    c.json({ results: [], credits_remaining: decisionOf(c)?.headers['X-Credits-Remaining'] }),
  );
  // Only plans with the `federation` feature (pro, enterprise) get past the gate.
  app.get('/api/v1/federation', gate({ feature: 'federation' }), (c) => c.json({ peers: [] }));
  return { app, apiKey: demo.apiKey, close: demo.close };
}

if (isMain(import.meta.url)) {
  const { app, apiKey } = await createExampleApp();
  const port = Number(process.env.PORT ?? 3002);
  serve({ fetch: app.fetch, port }, () =>
    process.stdout.write(demoBanner('Hono', `http://localhost:${port}`, apiKey)),
  );
}
