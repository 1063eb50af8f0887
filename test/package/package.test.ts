/**
 * The package as a new user gets it: `npm pack` (which builds), `publint` and `attw` on the tarball,
 * then three fresh apps outside the repo install it and run with plain `node` (no TypeScript loader):
 * Express in plain JavaScript, Fastify in TypeScript built by strict `tsc`, Hono. Each must admit a
 * metered request and deny a feature the free plan lacks, with Tollgate's headers on both.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  installApp,
  type PackedPackage,
  packTarball,
  REPO_ROOT,
  startApp,
} from '../support/packed-package.js';

const APPS = join(REPO_ROOT, 'test', 'package', 'apps');
const SLOW = 240_000;
const appFile = (name: string) => readFileSync(join(APPS, name), 'utf8');
const repoVersion = (name: string) =>
  (
    JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', name, 'package.json'), 'utf8')) as {
      version: string;
    }
  ).version;

let work: string;
let packed: PackedPackage;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'tollgate-package-'));
  packed = packTarball(join(work, 'pack'));
}, SLOW);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** One admitted search and one denied feature, as a client sees them. */
async function expectGated(baseUrl: string, key: string): Promise<void> {
  const headers = { 'x-api-key': key };
  const admitted = await fetch(`${baseUrl}/search`, { method: 'POST', headers });
  expect(admitted.status).toBe(200);
  expect(await admitted.json()).toEqual({ hits: [] });
  expect(admitted.headers.get('x-tier')).toBe('free');
  expect(admitted.headers.get('x-credits-remaining')).toBe('99.9');
  expect(admitted.headers.get('ratelimit-policy')).toContain('"minute";q=10');

  const denied = await fetch(`${baseUrl}/federation`, { headers });
  expect(denied.status).toBe(403);
  expect(denied.headers.get('x-tier')).toBe('free');
  expect(await denied.json()).toMatchObject({ error: 'feature_not_available', plan: 'free' });

  const anonymous = await fetch(`${baseUrl}/search`, { method: 'POST' });
  expect(anonymous.status).toBe(401);
}

describe('the packed package', () => {
  it('holds the build, the built pages, docs and examples, and no sources or tests', () => {
    const { files } = packed;
    for (const entry of ['index', 'express', 'fastify', 'hono', 'server', 'emulator', 'testing']) {
      expect(files).toContain(`dist/entry/${entry}.js`);
      expect(files).toContain(`dist/entry/${entry}.d.ts`);
    }
    expect(files).toContain('bin/tollgate.js');
    expect(files).toContain('dashboard/dist/billing.html');
    expect(files).toContain('dashboard/dist/.build-stamp');
    expect(files).toContain('dist/core/catalog/demo-catalog.yaml');
    expect(files).toContain('examples/express-app.ts');
    const shipped = (pattern: RegExp) => files.filter((file) => pattern.test(file));
    expect(shipped(/^src\/|^test\/|^bench\/|^dashboard\/src\//)).toEqual([]);
    // The shared test suites (store/contract, *-contract.ts) stay out; core/contract is the product.
    expect(shipped(/\.test\.|-contract\.|\/store\/contract\/|test-databases|\.tsx$/)).toEqual([]);
    expect(
      shipped(/\.ts$/).filter((file) => !file.endsWith('.d.ts') && !file.startsWith('examples/')),
    ).toEqual([]);
  });

  it(
    'passes publint and attw (ESM-only profile)',
    () => {
      const bin = (name: string) => join(REPO_ROOT, 'node_modules', '.bin', name);
      const run = (command: string, args: string[]) => {
        const result = spawnSync(bin(command), args, { encoding: 'utf8', cwd: work });
        return { status: result.status, output: `${result.stdout}${result.stderr}` };
      };
      const publint = run('publint', ['--strict', packed.tarball]);
      expect(publint.output).toContain('All good');
      expect(publint.status).toBe(0);
      // The package is ESM only: node10 and require() resolutions are not claimed.
      const attw = run('attw', ['--profile', 'esm-only', '--no-color', packed.tarball]);
      expect(attw.output).toContain('"tollgate/express"');
      expect(attw.status, attw.output).toBe(0);
    },
    SLOW,
  );

  it(
    'runs in a fresh Express app in plain JavaScript, without Fastify, Hono, pg or ioredis',
    async () => {
      const { directory } = installApp(
        join(work, 'express'),
        { dependencies: { tollgate: `file:${packed.tarball}`, express: `^${repoVersion('express')}` } },
        { 'app.js': appFile('express-app.js'), 'helpers.js': appFile('emulator-and-testing.js') },
      );
      for (const absent of ['fastify', 'hono', 'pg', 'ioredis', 'nodemailer', 'pdf-lib', 'tsx'])
        expect(existsSync(join(directory, 'node_modules', absent)), absent).toBe(false);

      const app = await startApp(directory, 'app.js');
      try {
        const [url, key] = app.line;
        await expectGated(url!, key!);
      } finally {
        await app.stop();
      }

      const tollgate = join(directory, 'node_modules', '.bin', 'tollgate');
      expect(execFileSync(tollgate, ['--version'], { encoding: 'utf8' }).trim()).toBe(packed.version);
      // The service's own peers are named, all at once, when they are missing.
      const serve = spawnSync(tollgate, ['serve'], { encoding: 'utf8', cwd: directory });
      expect(serve.status).toBe(2);
      expect(serve.stderr).toContain("'fastify', '@fastify/static', 'pino', 'prom-client'");
      // A PostgreSQL URL asks for pg; a SQLite one never loaded it.
      const postgres = spawnSync(
        process.execPath,
        ['--input-type=module', '-e', "(await import('tollgate')).createStore('postgres://localhost/app')"],
        { encoding: 'utf8', cwd: directory },
      );
      expect(postgres.stderr).toContain("needs the package 'pg', not installed: npm install pg");
      // The emulator and the test helpers need none of the optional peers either.
      const helpers = spawnSync(process.execPath, ['helpers.js'], { encoding: 'utf8', cwd: directory });
      expect(helpers.stderr).toBe('');
      expect(JSON.parse(helpers.stdout)).toEqual({ stripeCustomer: 'customer', allowed: true });
    },
    SLOW,
  );

  it(
    'type-checks with strict tsc and runs in a fresh Fastify app',
    async () => {
      const { directory } = installApp(
        join(work, 'fastify'),
        {
          dependencies: { tollgate: `file:${packed.tarball}`, fastify: `^${repoVersion('fastify')}` },
          // Only what any TypeScript app on Fastify has: Node's types (Fastify's need them too).
          devDependencies: {
            typescript: repoVersion('typescript'),
            '@types/node': `^${repoVersion('@types/node')}`,
          },
        },
        { 'app.ts': appFile('fastify-app.ts'), 'tsconfig.json': appFile('fastify-tsconfig.json') },
      );
      const tsc = spawnSync(join(directory, 'node_modules', '.bin', 'tsc'), ['-p', '.'], {
        cwd: directory,
        encoding: 'utf8',
      });
      expect(`${tsc.stdout}${tsc.stderr}`).toBe('');
      expect(tsc.status).toBe(0);

      const app = await startApp(directory, join('build', 'app.js'));
      try {
        const [url, key] = app.line;
        await expectGated(url!, key!);
      } finally {
        await app.stop();
      }
    },
    SLOW,
  );

  it(
    'runs in a fresh Hono app on Node',
    async () => {
      const { directory } = installApp(
        join(work, 'hono'),
        {
          dependencies: {
            tollgate: `file:${packed.tarball}`,
            hono: `^${repoVersion('hono')}`,
            '@hono/node-server': `^${repoVersion('@hono/node-server')}`,
          },
        },
        { 'app.js': appFile('hono-app.js') },
      );
      const app = await startApp(directory, 'app.js');
      try {
        const [url, key] = app.line;
        await expectGated(url!, key!);
      } finally {
        await app.stop();
      }
    },
    SLOW,
  );
});
