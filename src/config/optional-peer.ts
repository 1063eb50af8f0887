/**
 * Frameworks, the PostgreSQL driver, Redis and mail are optional peer dependencies: an app installs
 * only those it uses, and Tollgate loads each one when it is first needed, so an Express app on SQLite
 * never loads (or installs) `pg`, `ioredis` or Fastify. `requirePeer` is synchronous (these drivers are
 * CommonJS), so factories such as `createStore` and `createRedisCounters` keep their signatures.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** A feature was used whose optional peer dependency is not installed. */
export class MissingPeerError extends Error {
  readonly packageNames: readonly string[];

  constructor(packageNames: string | readonly string[], purpose: string) {
    const names = typeof packageNames === 'string' ? [packageNames] : packageNames;
    const listed = names.map((name) => `'${name}'`).join(', ');
    super(
      `${purpose} needs ${names.length === 1 ? 'the package' : 'the packages'} ${listed}, not installed: npm install ${names.join(' ')}`,
    );
    this.name = 'MissingPeerError';
    this.packageNames = names;
  }
}

function isMissing(error: unknown, name: string): boolean {
  const { code, message } = error as NodeJS.ErrnoException;
  return (
    (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') &&
    typeof message === 'string' &&
    message.includes(`'${name}'`)
  );
}

/**
 * Loads an optional peer (a CommonJS package) on first use.
 * @example
 * const pg = requirePeer<typeof import('pg')>('pg', 'A PostgreSQL DATABASE_URL');
 */
export function requirePeer<T>(name: string, purpose: string): T {
  try {
    return require(name) as T;
  } catch (error) {
    if (isMissing(error, name)) throw new MissingPeerError(name, purpose);
    throw error;
  }
}

/**
 * Imports an optional peer (an ES module) on first use.
 * @example
 * const { default: Fastify } = await importPeer<typeof import('fastify')>('fastify', 'tollgate serve');
 */
export async function importPeer<T>(name: string, purpose: string): Promise<T> {
  try {
    return (await import(name)) as T;
  } catch (error) {
    if (isMissing(error, name)) throw new MissingPeerError(name, purpose);
    throw error;
  }
}

/**
 * Fails before any of them is loaded when some of `names` are not installed, naming them all, so a
 * user installs what is missing in one go.
 */
export function checkPeers(names: readonly string[], purpose: string): void {
  const missing = names.filter((name) => {
    try {
      require.resolve(name);
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length > 0) throw new MissingPeerError(missing, purpose);
}
