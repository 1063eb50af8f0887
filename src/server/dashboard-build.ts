/**
 * Keeps the built pages (dashboard/dist) in step with their sources, so no separate build command is
 * needed: `npm install` builds them (the `prepare` script), and `start`/`serve` rebuild them when the
 * sources changed since (a stamp in dist holds the hash of the sources it was built from). An installed
 * package ships dist with a matching stamp and never builds. Vite is loaded only when a build runs.
 *
 * Several processes may start at once (tests, instances on one host): a lock directory makes one of
 * them build while the others wait and then find the stamp fresh.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

export const DASHBOARD_ROOT = fileURLToPath(new URL('../../dashboard/', import.meta.url));
export const DASHBOARD_DIST = join(DASHBOARD_ROOT, 'dist');
const STAMP = '.build-stamp';
const LOCK = join(DASHBOARD_ROOT, '.build-lock');
const STALE_LOCK_MS = 120_000;

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'dist' || entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) sourceFiles(path, out);
    else out.push(path);
  }
  return out;
}

/** The hash of the page sources, or null when they are not shipped (an install without them). */
export function sourceHash(root = DASHBOARD_ROOT): string | null {
  let files: string[];
  try {
    files = sourceFiles(root).sort();
  } catch {
    return null;
  }
  if (files.length === 0) return null;
  const hash = createHash('sha256');
  for (const file of files)
    hash.update(relative(root, file)).update('\0').update(readFileSync(file)).update('\0');
  return hash.digest('hex');
}

function builtHash(dist: string): string | null {
  try {
    return readFileSync(join(dist, STAMP), 'utf8').trim();
  } catch {
    return null;
  }
}

export type DashboardState = 'fresh' | 'built' | 'missing';

/** True when dist holds pages built from the current sources (or from the only sources there are). */
export function dashboardIsFresh(root = DASHBOARD_ROOT): boolean {
  const dist = join(root, 'dist');
  const built = builtHash(dist);
  if (built === null) return false;
  const current = sourceHash(root);
  return current === null || current === built;
}

async function withLock<T>(run: () => Promise<T>): Promise<T> {
  for (const started = Date.now(); ; ) {
    try {
      mkdirSync(LOCK);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      try {
        if (Date.now() - statSync(LOCK).mtimeMs > STALE_LOCK_MS)
          rmSync(LOCK, { recursive: true, force: true });
      } catch {}
      if (Date.now() - started > STALE_LOCK_MS) throw new Error(`dashboard build lock ${LOCK} is held`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  try {
    return await run();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

/** Writes .br and .gz next to each script and style sheet so they are served compressed. */
function precompress(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) precompress(path);
    else if (/\.(js|css|svg)$/.test(entry.name)) {
      const body = readFileSync(path);
      writeFileSync(`${path}.gz`, gzipSync(body, { level: 9 }));
      writeFileSync(
        `${path}.br`,
        brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
      );
    }
  }
}

/**
 * Builds the pages with Vite beside dist, stamps them, then swaps the new build in with two renames,
 * so a server running meanwhile never finds dist half-written.
 */
export async function buildDashboard(): Promise<void> {
  const hash = sourceHash();
  if (hash === null) throw new Error(`no dashboard sources under ${DASHBOARD_ROOT}`);
  const { build } = await import('vite');
  const next = join(DASHBOARD_ROOT, `.dist-next-${process.pid}`);
  const previous = join(DASHBOARD_ROOT, `.dist-previous-${process.pid}`);
  // Vite and the React plugin pick React's development build (twice the size) and JSX runtime from
  // NODE_ENV, which the demo sets to development: the pages are always built for production.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({
      configFile: join(DASHBOARD_ROOT, 'vite.config.ts'),
      logLevel: 'warn',
      build: { outDir: next, emptyOutDir: true },
    });
    precompress(next);
    writeFileSync(join(next, STAMP), `${hash}\n`);
    try {
      renameSync(DASHBOARD_DIST, previous);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    renameSync(next, DASHBOARD_DIST);
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = nodeEnv;
    rmSync(next, { recursive: true, force: true });
    rmSync(previous, { recursive: true, force: true });
  }
}

/**
 * Makes sure dist is built from the current sources: 'fresh' when it already was, 'built' after a
 * build, 'missing' when it cannot be built here (no Vite, e.g. a production install without dist).
 */
export async function ensureDashboard(log: (line: string) => void = () => {}): Promise<DashboardState> {
  if (dashboardIsFresh()) return 'fresh';
  return withLock(async () => {
    if (dashboardIsFresh()) return 'fresh';
    const started = Date.now();
    try {
      await buildDashboard();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') return 'missing';
      throw error;
    }
    log(`Built the billing pages in ${Date.now() - started} ms.`);
    return 'built';
  });
}
