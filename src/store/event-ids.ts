/**
 * Ids for the usage events of one batch: one core id for the batch, then a per-event suffix. A batch
 * of 1,000 events then costs one `newId` instead of 1,000 (a tenth of the SQLite commit), and ids
 * still sort by creation time, within the batch by position.
 */
import { newId } from '../core/ids.js';

/** Returns a generator of unique event ids (`usage_<batch id><4 base-36 digits>`). */
export function batchEventIds(): () => string {
  const base = newId('usage');
  let next = 0;
  return () => base + (next++).toString(36).padStart(4, '0');
}
