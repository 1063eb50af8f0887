/**
 * What a caller asks the gate (`check` / `consume`), what it costs, and what makes two requests with
 * one idempotency key the same request.
 */
import type { Catalog } from '../catalog/catalog.js';
import { multiplyCost } from '../credits.js';
import { invalidRequest } from '../errors.js';
import { canonicalMetadata, type EventMetadata, metadataIssues } from './event-metadata.js';

export interface GateRequest {
  /** Metered operation from the catalog; its credit cost x quantity is debited. */
  operation?: string;
  /** Units of the operation (a positive integer); default 1. */
  quantity?: number;
  /** A feature the plan must include. */
  feature?: string;
  /** Storage this request adds; refused with 507 when it would pass the plan's limit. */
  storage?: { bytes?: number; items?: number };
  /** A retry with the same key is not counted twice and gets the first answer. */
  idempotencyKey?: string | null;
  /** When the usage happened (epoch ms); default now. Part of the idempotency fingerprint when given. */
  occurredAt?: number;
  /**
   * Strings stored with the usage event and returned where events are listed, e.g. `{ model: 'gpt-4o' }`:
   * at most 16 keys matching `^[a-z][a-z0-9_.-]{0,39}$`, values up to 200 characters. Part of the
   * idempotency fingerprint.
   */
  metadata?: EventMetadata;
  /** Hold a concurrency slot until `release()`: middleware does, a usage report does not. Default false. */
  holdSlot?: boolean;
  /** Count this request against the per-minute and per-day limits. Default true. */
  countRequest?: boolean;
  /**
   * Hold the usage under this reservation instead of recording it (see `Tollgate.reserve`); the
   * decision's `eventId` is then the reservation's id. `idempotencyKey` is not used with it (the id is).
   */
  reservation?: { id: string; expiresAt: number };
  /**
   * The customer's API key the request came through: its usage is recorded with it, and the key's own
   * limits (if any) must hold as well as the customer's (docs/decisions/015).
   */
  keyId?: string;
}

/**
 * One event of a usage report (`consumeBatch`): an operation's units that happened, with the
 * idempotency key, time and metadata a single `consume` takes. Batched usage does not count against
 * the request-rate limits and holds no concurrency slot.
 */
export type UsageReport = Pick<GateRequest, 'quantity' | 'idempotencyKey' | 'occurredAt' | 'metadata'> & {
  operation: string;
};

/** What makes two requests with one idempotency key the same request (the stored `requestHash`). */
export function requestFingerprint(request: GateRequest): string {
  const fingerprint = `${request.operation ?? ''}:${request.quantity ?? 1}:${request.occurredAt ?? ''}`;
  // Appended only when present, so events recorded before metadata existed keep their fingerprint.
  const metadata = canonicalMetadata(request.metadata);
  return metadata === null ? fingerprint : `${fingerprint}:${metadata}`;
}

/**
 * The request's cost in milli-credits (the operation's unit cost x quantity), or invalid_request for
 * what no customer could be asked: a bad quantity, bad metadata, an operation not in the catalog.
 */
export function requestCost(catalog: Catalog, request: GateRequest): number {
  const quantity = request.quantity ?? 1;
  if (!Number.isSafeInteger(quantity) || quantity < 1) {
    throw invalidRequest([{ path: 'quantity', message: 'expected a positive integer' }]);
  }
  if (request.metadata !== undefined) {
    const issues = metadataIssues(request.metadata);
    if (issues.length > 0) throw invalidRequest(issues);
  }
  let unitCost = 0;
  if (request.operation !== undefined) {
    const operation = catalog.operations[request.operation];
    if (!operation)
      throw invalidRequest([{ path: 'operation', message: `unknown operation '${request.operation}'` }]);
    unitCost = operation.cost;
  }
  try {
    return multiplyCost(unitCost, quantity);
  } catch {
    throw invalidRequest([{ path: 'quantity', message: 'the quantity is too large' }]);
  }
}
