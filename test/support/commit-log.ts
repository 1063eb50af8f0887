/** The store's usage transactions as they happen: tests count them and see which debits shared one. */
import type { Store, UsageDebit } from '../../src/core/ports.js';

/** Wraps `store.commitUsage` (in place) and returns the log: one entry per transaction, its debits. */
export function logCommits(store: Store): UsageDebit[][] {
  const commitUsage = store.commitUsage.bind(store);
  const log: UsageDebit[][] = [];
  store.commitUsage = (debits, recordedAt) => {
    log.push([...debits]);
    return commitUsage(debits, recordedAt);
  };
  return log;
}
