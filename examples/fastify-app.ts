/**
 * Tollgate in front of a Fastify 5 app: a metered route, a feature-gated route and an exempt health
 * check. Run it with `npx tsx examples/fastify-app.ts` and try the printed curl lines.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { decisionOf, tollgateFastify } from 'tollgate/fastify';
import { type DemoOptions, demoBanner, isMain, openDemoTollgate } from './demo-tollgate.js';

export interface ExampleApp {
  app: FastifyInstance;
  apiKey: string;
  close(): Promise<void>;
}

/**
 * Builds the app without listening, so tests can serve it on a port of their own.
 * @example
 * const { app, apiKey } = await createExampleApp();
 * await app.listen({ port: 3001 });
 */
export async function createExampleApp(options: DemoOptions = {}): Promise<ExampleApp> {
  const demo = await openDemoTollgate(options);
  const gate = tollgateFastify({ tollgate: demo.tollgate });
  const app = Fastify();

  // Not gated at all; `/health` is also in the catalog's exempt_routes, so an app-wide gate skips it.
  app.get('/health', async () => ({ status: 'ok' }));
  // Each search costs 0.1 credit; the headers tell the client what is left.
  app.post('/api/v1/search', { preHandler: gate({ operation: 'search' }) }, async (request) => ({
    results: [],
    credits_remaining: decisionOf(request)?.headers['X-Credits-Remaining'],
  }));
  // Only plans with the `federation` feature (pro, enterprise) get past the gate.
  app.get('/api/v1/federation', { preHandler: gate({ feature: 'federation' }) }, async () => ({ peers: [] }));
  return {
    app,
    apiKey: demo.apiKey,
    async close() {
      await app.close();
      await demo.close();
    },
  };
}

if (isMain(import.meta.url)) {
  const { app, apiKey } = await createExampleApp();
  const port = Number(process.env.PORT ?? 3001);
  await app.listen({ port });
  process.stdout.write(demoBanner('Fastify', `http://localhost:${port}`, apiKey));
}
