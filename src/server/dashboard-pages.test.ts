/**
 * The page routes hand out the built files with the promised headers: HTML never cached and under a
 * strict CSP (the billing page framable only by configured origins, the admin console never), hashed
 * assets compressed and cached for a year, nothing else of the build directory, and a clear 503 when
 * the pages are not built. The freshness stamp rebuilds the pages exactly when a source changes.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardIsFresh, sourceHash } from './dashboard-build.js';
import { registerDashboardPages } from './dashboard-pages.js';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tollgate-pages-'));
  mkdirSync(join(dir, 'dist', 'assets'), { recursive: true });
  writeFileSync(join(dir, 'dist', 'billing.html'), '<!doctype html><title>Billing</title>');
  writeFileSync(join(dir, 'dist', 'admin.html'), '<!doctype html><title>Admin</title>');
  const script = 'console.log("page");'.repeat(50);
  writeFileSync(join(dir, 'dist', 'assets', 'page-abc123.js'), script);
  writeFileSync(join(dir, 'dist', 'assets', 'page-abc123.js.gz'), gzipSync(script));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function server(options: { frameAncestors?: string[]; dist?: string } = {}) {
  const app = Fastify();
  registerDashboardPages(app, {
    dir: options.dist ?? join(dir, 'dist'),
    ...(options.frameAncestors ? { frameAncestors: options.frameAncestors } : {}),
  });
  return app;
}

describe('page routes', () => {
  it('serves the billing page uncached, under a CSP framable only by its own origin by default', async () => {
    const response = await server().inject('/billing?token=tgl_x');
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('<title>Billing</title>');
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.headers['referrer-policy']).toBe('no-referrer');
    const csp = String(response.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'self'");
    expect(csp).not.toContain('unsafe');
  });

  it('lets the configured origins frame the billing page, never the admin console', async () => {
    const app = server({ frameAncestors: ['https://app.example.com'] });
    const billing = await app.inject('/billing');
    expect(billing.headers['content-security-policy']).toContain(
      "frame-ancestors 'self' https://app.example.com",
    );
    const admin = await app.inject('/admin');
    expect(admin.headers['content-security-policy']).toContain("frame-ancestors 'none'");
  });

  it('answers the admin console for its client-side routes', async () => {
    const app = server();
    for (const path of ['/admin', '/admin/customers/cus_1', '/admin/revenue']) {
      const response = await app.inject(path);
      expect(response.statusCode, path).toBe(200);
      expect(response.body).toContain('<title>Admin</title>');
    }
  });

  it('serves hashed assets compressed and cached for a year, and nothing else of the build', async () => {
    const app = server();
    const asset = await app.inject({
      url: '/ui/assets/page-abc123.js',
      headers: { 'accept-encoding': 'gzip' },
    });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['content-encoding']).toBe('gzip');
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect((await app.inject('/ui/billing.html')).statusCode).toBe(404);
    expect((await app.inject('/ui/assets/../billing.html')).statusCode).toBe(404);
  });

  it('answers 503 with what to do when the pages are not built', async () => {
    const response = await server({ dist: join(dir, 'nowhere') }).inject('/billing');
    expect(response.statusCode).toBe(503);
    expect(response.body).toContain('tollgate dashboard build');
  });
});

describe('build freshness', () => {
  it('is fresh only while the sources hash to the stamp', () => {
    const root = mkdtempSync(join(tmpdir(), 'tollgate-pages-src-'));
    try {
      mkdirSync(join(root, 'src'));
      writeFileSync(join(root, 'src', 'main.tsx'), 'export {};');
      expect(dashboardIsFresh(root)).toBe(false); // never built
      mkdirSync(join(root, 'dist'));
      writeFileSync(join(root, 'dist', '.build-stamp'), `${sourceHash(root)}\n`);
      expect(dashboardIsFresh(root)).toBe(true);
      writeFileSync(join(root, 'dist', 'extra.js'), 'built output does not count');
      expect(dashboardIsFresh(root)).toBe(true);
      writeFileSync(join(root, 'src', 'main.tsx'), 'export const changed = 1;');
      expect(dashboardIsFresh(root)).toBe(false);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
