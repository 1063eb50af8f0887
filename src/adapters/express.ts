/**
 * Tollgate for Express 5: `tollgateExpress(options)` gives `gate(route)`, a middleware per route. The
 * concurrency slot is freed on the response's 'finish' (sent) or 'close' (client gone, or the socket
 * died mid-response), whichever comes first, so neither a thrown handler nor a disconnect leaks it.
 */
import type { Request, RequestHandler } from 'express';
import { type AdapterOptions, createRequestGate, type RouteOptions, releaseOnClose } from './request-gate.js';

/** Builds route middleware for one app. */
export type ExpressGate = (route?: RouteOptions<Request>) => RequestHandler;

/**
 * @example
 * const gate = tollgateExpress({ tollgate });
 * app.post('/api/search', express.json(), gate({ operation: 'search' }), (req, res) => res.json(hits));
 * app.get('/api/federation', gate({ feature: 'federation' }), handler);
 */
export function tollgateExpress(options: AdapterOptions<Request>): ExpressGate {
  const gateRequest = createRequestGate(options);
  return (route) => {
    const gateRoute = gateRequest(route);
    return async (req, res, next) => {
      // originalUrl, not path: under a mounted router `req.path` lacks the mount prefix.
      const outcome = await gateRoute(
        { method: req.method, path: req.originalUrl, headers: req.headers },
        req,
      );
      if (outcome.kind === 'exempt') return next();
      res.set(outcome.headers);
      if (outcome.kind === 'denied') {
        res.status(outcome.status).json(outcome.body);
        return;
      }
      res.once('finish', outcome.finish);
      releaseOnClose(res, outcome.finish);
      next();
    };
  };
}
