/**
 * What lets `npm start` resume after Ctrl-C: the in-process emulator's data (customers, subscriptions,
 * the demo's test clock) and a small file with the emulator's webhook secret and the demo's keys, both
 * kept beside the SQLite database. Without them a restart met a Stripe that knew none of the stored
 * customers, a fresh test clock at today's date, and new keys while the old ones kept working.
 *
 * Only for the demo on a SQLite file: an in-memory database forgets everything anyway, and a real
 * deployment uses real Stripe and issues its keys once.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parseDatabaseUrl } from '../store/create-store.js';

export interface DemoState {
  /** Where the emulator keeps its data between runs. */
  emulatorStatePath: string;
  /** The emulator's webhook signing secret: the endpoints stored in its data sign with it. */
  webhookSecret: string;
  /** The keys printed last time, reused while they still authenticate. */
  adminKey?: string;
  customerKey?: string;
  /** Where the running demo's emulator listens and its test clock, for the CLI to find them. */
  emulatorUrl?: string;
  testClock?: string;
}

export interface DemoStateFile {
  state: DemoState;
  save(keys: { adminKey: string; customerKey: string }): void;
  /** Records where the demo's Stripe runs now, so `tollgate` commands use it and its clock. */
  saveRunning(running: { emulatorUrl: string; testClock: string }): void;
}

/** The demo's state beside `DATABASE_URL`'s SQLite file; null for PostgreSQL or an in-memory database. */
export function openDemoState(databaseUrl: string): DemoStateFile | null {
  const location = parseDatabaseUrl(databaseUrl);
  if (location.kind !== 'sqlite' || location.filename === ':memory:') return null;
  const path = demoStatePath(location.filename);
  const stored: Partial<DemoState> = existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : {};
  const state: DemoState = {
    emulatorStatePath: `${location.filename}.stripe.json`,
    webhookSecret: stored.webhookSecret ?? `whsec_${randomBytes(24).toString('hex')}`,
    ...(stored.adminKey ? { adminKey: stored.adminKey } : {}),
    ...(stored.customerKey ? { customerKey: stored.customerKey } : {}),
    ...(stored.emulatorUrl ? { emulatorUrl: stored.emulatorUrl } : {}),
    ...(stored.testClock ? { testClock: stored.testClock } : {}),
  };
  const write = () => writeFileSync(path, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  if (!stored.webhookSecret) write();
  return {
    state,
    save(keys) {
      state.adminKey = keys.adminKey;
      state.customerKey = keys.customerKey;
      write();
    },
    saveRunning(running) {
      state.emulatorUrl = running.emulatorUrl;
      state.testClock = running.testClock;
      write();
    },
  };
}

const demoStatePath = (filename: string) => `${filename}.demo.json`;

/**
 * The Stripe of a demo (`npm start`) running on this database, when there is one: its in-process
 * emulator answers at the recorded address and still has the recorded test clock. Lets `tollgate clock
 * advance`, `reconcile`, `usage` and `customers` work against the demo with no Stripe settings.
 */
export async function runningDemoStripe(
  databaseUrl: string,
): Promise<{ apiBase: string; testClock: string } | null> {
  const location = parseDatabaseUrl(databaseUrl);
  if (location.kind !== 'sqlite' || location.filename === ':memory:') return null;
  const path = demoStatePath(location.filename);
  if (!existsSync(path)) return null;
  const { emulatorUrl, testClock } = JSON.parse(readFileSync(path, 'utf8')) as Partial<DemoState>;
  if (!emulatorUrl || !testClock) return null;
  try {
    const answer = await fetch(`${emulatorUrl}/v1/test_helpers/test_clocks/${testClock}`, {
      headers: { Authorization: 'Bearer sk_test_tollgate_cli' },
      signal: AbortSignal.timeout(2_000),
    });
    return answer.ok ? { apiBase: emulatorUrl, testClock } : null;
  } catch {
    return null; // The demo is not running.
  }
}
