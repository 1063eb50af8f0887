/**
 * How the contract suite mounts its framework-free app description on each framework, on a real
 * socket. Test support only: each `<framework>.test.ts` passes one of these to
 * `describeAdapterContract`. Handler errors are left to each framework's own 500.
 */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import express, { type Request } from 'express';
import Fastify, { type FastifyRequest } from 'fastify';
import { type Context, Hono } from 'hono';
import type { Tollgate } from '../core/tollgate.js';
import type { ContractApp, ContractRoute, HeaderReader, MountAdapter } from './adapter-contract.js';
import { tollgateExpress } from './express.js';
import { tollgateFastify } from './fastify.js';
import { tollgateHono } from './hono.js';
import { type AdapterOptions, type RouteOptions, reportUsage } from './request-gate.js';

/** Translates the app description into one framework's adapter and route options. */
function translate<Request extends object>(
  tollgate: Tollgate,
  app: ContractApp,
  reader: (request: Request) => HeaderReader,
) {
  const adapter: AdapterOptions<Request> = { tollgate };
  const { resolveCustomer } = app;
  if (resolveCustomer) adapter.resolveCustomer = (request) => resolveCustomer(reader(request));
  if (app.exempt) adapter.exempt = app.exempt;
  const route = ({ gate }: ContractRoute): RouteOptions<Request> => {
    const options: RouteOptions<Request> = {};
    if (gate.operation !== undefined) options.operation = gate.operation;
    if (gate.feature !== undefined) options.feature = gate.feature;
    const { quantity, storage, reserve } = gate;
    if (quantity) options.quantity = (request) => quantity(reader(request));
    if (storage) options.storage = (request) => storage(reader(request));
    if (reserve) options.reserve = { quantity: (request) => reserve(reader(request)) };
    return options;
  };
  /** Runs the handler, reporting the actual usage first as an app would. */
  const handle = (spec: ContractRoute, request: Request): Promise<unknown> => {
    const actual = spec.report?.(reader(request));
    if (actual !== undefined) reportUsage(request, actual);
    return spec.handle();
  };
  return { adapter, route, handle };
}

function headerOf(headers: Record<string, string | string[] | undefined>): HeaderReader {
  return (name) => {
    const value = headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
}

function baseUrlOf(address: AddressInfo | string | null): string {
  if (address === null || typeof address === 'string') throw new Error('expected a TCP address');
  return `http://127.0.0.1:${address.port}`;
}

export const mountExpress: MountAdapter = async (tollgate, app) => {
  const { adapter, route, handle } = translate<Request>(tollgate, app, (req) => headerOf(req.headers));
  const gate = tollgateExpress(adapter);
  const server = express();
  for (const spec of app.routes) {
    const method = spec.method === 'GET' ? 'get' : 'post';
    server[method](spec.path, gate(route(spec)), async (req, res) => {
      res.json(await handle(spec, req));
    });
  }
  const listening = server.listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    listening.once('listening', resolve).once('error', reject);
  });
  return {
    baseUrl: baseUrlOf(listening.address()),
    close: () =>
      new Promise<void>((resolve) => {
        listening.closeAllConnections();
        listening.close(() => resolve());
      }),
  };
};

export const mountFastify: MountAdapter = async (tollgate, app) => {
  const { adapter, route, handle } = translate<FastifyRequest>(tollgate, app, (request) =>
    headerOf(request.headers),
  );
  const gate = tollgateFastify(adapter);
  const server = Fastify({ forceCloseConnections: true });
  for (const spec of app.routes) {
    server.route({
      method: spec.method,
      url: spec.path,
      preHandler: gate(route(spec)),
      handler: (request) => handle(spec, request),
    });
  }
  await server.listen({ port: 0, host: '127.0.0.1' });
  return { baseUrl: baseUrlOf(server.server.address()), close: () => server.close() };
};

export const mountHono: MountAdapter = async (tollgate, app) => {
  const { adapter, route, handle } = translate<Context>(tollgate, app, (c) => (name) => c.req.header(name));
  const gate = tollgateHono(adapter);
  const server = new Hono();
  // Hono's default error handler prints the error; the same 500, quietly.
  server.onError((_error, c) => c.text('Internal Server Error', 500));
  for (const spec of app.routes) {
    server.on(spec.method, spec.path, gate(route(spec)), async (c) => c.json(await handle(spec, c)));
  }
  const listening = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const started = serve({ fetch: server.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(started));
  });
  return {
    baseUrl: baseUrlOf(listening.address()),
    close: () =>
      new Promise<void>((resolve) => {
        if ('closeAllConnections' in listening) listening.closeAllConnections();
        listening.close(() => resolve());
      }),
  };
};
