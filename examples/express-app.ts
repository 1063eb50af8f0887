/**
 * Tollgate in front of an Express 5 app: a metered route, a feature-gated route and an exempt health
 * check. Run it with `npx tsx examples/express-app.ts` and try the printed curl lines.
 */
import express, { type Express } from 'express';
import { decisionOf, tollgateExpress } from 'tollgate/express';
import { type DemoOptions, demoBanner, isMain, openDemoTollgate } from './demo-tollgate.js';

export interface ExampleApp {
  app: Express;
  apiKey: string;
  close(): Promise<void>;
}

/**
 * Builds the app without listening, so tests can serve it on a port of their own.
 * @example
 * const { app, apiKey } = await createExampleApp();
 * app.listen(3000);
 */
export async function createExampleApp(options: DemoOptions = {}): Promise<ExampleApp> {
  const demo = await openDemoTollgate(options);
  const gate = tollgateExpress({ tollgate: demo.tollgate });
  const app = express();
  app.use(express.json());

  // Not gated at all; `/health` is also in the catalog's exempt_routes, so an app-wide gate skips it.
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  // Each search costs 0.1 credit; the headers tell the client what is left.
  app.post('/api/v1/search', gate({ operation: 'search' }), (req, res) => {
    res.json({ results: [], credits_remaining: decisionOf(req)?.headers['X-Credits-Remaining'] });
  });
  // Only plans with the `federation` feature (pro, enterprise) get past the gate.
  app.get('/api/v1/federation', gate({ feature: 'federation' }), (_req, res) => {
    res.json({ peers: [] });
  });
  return { app, apiKey: demo.apiKey, close: demo.close };
}

if (isMain(import.meta.url)) {
  const { app, apiKey } = await createExampleApp();
  const port = Number(process.env.PORT ?? 3000);
  app.listen(port, () => process.stdout.write(demoBanner('Express', `http://localhost:${port}`, apiKey)));
}
