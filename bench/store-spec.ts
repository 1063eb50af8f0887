/**
 * Which store a bench process opens, as plain JSON so the parent can hand it to a child process on
 * its command line.
 */
import type { Store } from '../src/core/ports.js';
import { createPostgresStore } from '../src/store/postgres-store.js';
import { createSqliteStore } from '../src/store/sqlite-store.js';

export type StoreSpec =
  | { kind: 'sqlite'; filename: string; synchronous: 'NORMAL' | 'FULL' }
  | { kind: 'postgres'; connectionString: string; schema: string; poolSize?: number };

const leaseTtlMs =
  process.env.TOLLGATE_LEASE_TTL_MS === undefined || process.env.TOLLGATE_LEASE_TTL_MS === ''
    ? undefined
    : Number(process.env.TOLLGATE_LEASE_TTL_MS);

export function openStore(spec: StoreSpec): Store {
  if (spec.kind === 'sqlite') {
    return createSqliteStore({ filename: spec.filename, synchronous: spec.synchronous });
  }
  return createPostgresStore({
    connectionString: spec.connectionString,
    schema: spec.schema,
    ...(spec.poolSize === undefined ? {} : { poolSize: spec.poolSize }),
    // The server's own setting (docs/operations.md), so a run can measure leases off (0) or another TTL.
    ...(leaseTtlMs === undefined ? {} : { leaseTtlMs }),
  });
}

export function describeStore(spec: StoreSpec): string {
  return spec.kind === 'sqlite' ? `SQLite WAL synchronous=${spec.synchronous}` : 'PostgreSQL';
}
