/**
 * The customer's contract on its current plan's card: which line of the card an override sets, the
 * "Contract" mark (with "until <date>" when it ends), and the features the contract adds or removes.
 * The figures themselves are the effective ones `GET /api/v1/entitlements` answers; this file only
 * says where each comes from. Pure, so the tests import it (hence the `.js` imports).
 */
import { formatDate } from '../lib/format.js';

/** One override in force, as `GET /api/v1/usage` and `/entitlements` list it under `contract`. */
export interface ContractEntry {
  key: string;
  value: unknown;
  plan_value: unknown;
  expires_at: string | null;
}

/** "Contract", or "Contract until Mar 1, 2027" for an override that ends. */
export function contractLabel(expiresAt: string | null): string {
  return expiresAt === null ? 'Contract' : `Contract until ${formatDate(expiresAt)}`;
}

/**
 * The override behind a card line: the entry whose key is one of `keys` (or, for a key ending in
 * `.`, starts with it). Of several, the one that ends first, so the mark never promises too long.
 */
export function contractEntryFor(
  contract: readonly ContractEntry[],
  keys: readonly string[],
): ContractEntry | undefined {
  const matching = contract.filter((entry) =>
    keys.some((key) => (key.endsWith('.') ? entry.key.startsWith(key) : entry.key === key)),
  );
  const ends = (entry: ContractEntry) =>
    entry.expires_at === null ? Number.POSITIVE_INFINITY : Date.parse(entry.expires_at);
  return matching.sort((a, b) => ends(a) - ends(b))[0];
}

export interface FeatureFact {
  id: string;
  included: boolean;
  /** Set when the contract, not the plan, includes or removes the feature. */
  contract?: ContractEntry;
}

/**
 * The features a card lists: the included ones in the order given (the plan's, then any the contract
 * adds), each marked when the contract includes it, then those the contract removes, as not included.
 */
export function featureFacts(included: readonly string[], contract: readonly ContractEntry[]): FeatureFact[] {
  const facts: FeatureFact[] = included.map((id) => {
    const entry = contract.find((candidate) => candidate.key === `features.${id}`);
    return entry?.value === true ? { id, included: true, contract: entry } : { id, included: true };
  });
  for (const entry of contract) {
    if (!entry.key.startsWith('features.') || entry.value !== false) continue;
    const id = entry.key.slice('features.'.length);
    if (!included.includes(id)) facts.push({ id, included: false, contract: entry });
  }
  return facts;
}
