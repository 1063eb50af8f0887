/**
 * Request bodies for the ingestion block: `POST /api/v1/usage/record` with `{ events: [...] }`, a
 * batch of `batchSize` events of the bench operation, for customers' keys in rotation (connection i
 * starts i/connections of the way through the keys, as the other blocks do).
 *
 * - without idempotency keys: the same body every time (each event is recorded anew);
 * - with idempotency keys: every event of every batch carries a key never sent before in this run
 *   (`<run>-<connection>-<batch>-<index>`), so each is stored with its key and recorded, not replayed.
 *   The body is built as it is sent, so no batch is ever sent twice.
 */
import { randomBytes } from 'node:crypto';
import { BENCH_OPERATION } from './bench-catalog.js';
import type { NextRequest } from './load.js';

export const RECORD_PATH = '/api/v1/usage/record';
export const INGEST_PATH_LABEL = `POST ${RECORD_PATH}`;

export interface IngestBatchOptions {
  keys: readonly string[];
  connections: number;
  batchSize: number;
  idempotencyKeys: boolean;
}

export function ingestRequests(options: IngestBatchOptions): (connection: number) => NextRequest {
  const { keys, connections, batchSize } = options;
  const event = JSON.stringify({ operation: BENCH_OPERATION });
  const fixedBody = `{"events":[${new Array<string>(batchSize).fill(event).join(',')}]}`;
  const run = randomBytes(4).toString('hex');
  const sent = new Array<number>(connections).fill(0);
  const prefix = `{"operation":"${BENCH_OPERATION}","idempotency_key":"`;

  const bodyWithKeys = (connection: number, batch: number): string => {
    const stem = `${run}-${connection}-${batch}-`;
    const events = new Array<string>(batchSize);
    for (let index = 0; index < batchSize; index++) events[index] = `${prefix}${stem}${index}"}`;
    return `{"events":[${events.join(',')}]}`;
  };

  return (connection) => {
    const batch = sent[connection] ?? 0;
    sent[connection] = batch + 1;
    const offset = Math.floor((connection * keys.length) / connections);
    const key = keys[(offset + batch) % keys.length] ?? '';
    return {
      headers: { 'content-type': 'application/json', 'x-api-key': key },
      body: options.idempotencyKeys ? bodyWithKeys(connection, batch) : fixedBody,
    };
  };
}
