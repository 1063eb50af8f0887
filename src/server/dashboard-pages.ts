/**
 * Serves the built pages: the customer billing page at GET /billing (opened by a one-time link) and
 * the admin console at GET /admin and below (client-side routes), with their scripts and styles under
 * /ui/. The pages talk to the API like any client; this module only hands out files.
 *
 * Headers: the HTML is never cached (a new build takes effect at once) and carries a strict Content
 * Security Policy; hashed assets are cached for a year. The billing page may be framed by the origins
 * in `frameAncestors` (the embeddable mode); the admin console never. `Referrer-Policy: no-referrer`
 * keeps the one-time token in the billing URL from leaking to other sites.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { DASHBOARD_DIST } from './dashboard-build.js';

export interface DashboardOptions {
  /** The built pages; default dashboard/dist of this package. */
  dir?: string;
  /** Origins allowed to frame the billing page (CSP frame-ancestors); default only this origin. */
  frameAncestors?: readonly string[];
}

/** The page routes, outside the OpenAPI document (they answer HTML, not the API). */
export const PAGE_ROUTES = ['/billing', '/admin', '/admin/*', '/ui/*'] as const;

function policy(frameAncestors: string): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "object-src 'none'",
    `frame-ancestors ${frameAncestors}`,
  ].join('; ');
}

export function registerDashboardPages(app: FastifyInstance, options: DashboardOptions = {}): void {
  const dir = options.dir ?? DASHBOARD_DIST;
  const ancestors = options.frameAncestors?.length
    ? ["'self'", ...options.frameAncestors].join(' ')
    : "'self'";
  const pages = {
    billing: {
      file: join(dir, 'billing.html'),
      csp: policy(ancestors),
      html: null as string | null,
      mtime: 0,
    },
    admin: { file: join(dir, 'admin.html'), csp: policy("'none'"), html: null as string | null, mtime: 0 },
  };

  function sendPage(reply: FastifyReply, page: (typeof pages)[keyof typeof pages]) {
    // Kept in memory and read again when a rebuild replaced the file; no build answers 503.
    try {
      const mtime = statSync(page.file).mtimeMs;
      if (page.html === null || mtime !== page.mtime) {
        page.html = readFileSync(page.file, 'utf8');
        page.mtime = mtime;
      }
    } catch {
      page.html = null;
    }
    reply
      .header('Cache-Control', 'no-store')
      .header('X-Content-Type-Options', 'nosniff')
      .header('Referrer-Policy', 'no-referrer')
      .header('Content-Security-Policy', page.csp);
    if (page.html === null) {
      return reply
        .code(503)
        .type('text/plain; charset=utf-8')
        .send('The billing pages are not built. Run `npx tollgate dashboard build`, then restart.\n');
    }
    return reply.type('text/html; charset=utf-8').send(page.html);
  }

  app.get('/billing', (_request, reply) => sendPage(reply, pages.billing));
  app.get('/admin', (_request, reply) => sendPage(reply, pages.admin));
  app.get('/admin/*', (_request, reply) => sendPage(reply, pages.admin));

  // Registered even before a first build, so a build made while the server runs is served.
  app.register(fastifyStatic, {
    root: dir,
    prefix: '/ui/',
    preCompressed: true,
    index: false,
    serve: true,
    wildcard: true,
    allowedPath: (path) => path.startsWith('/assets/'),
    // File names carry a content hash: a new build gets new names, so a year of caching is safe.
    maxAge: '365d',
    immutable: true,
  });
}
