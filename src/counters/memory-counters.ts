/**
 * Hot counters held in this process: exact and cheap, for a single instance. Every method runs to the
 * end synchronously, so JavaScript's single thread makes each one atomic without locks.
 *
 * Time comes only from the caller (window starts, `now`), never from Date.now(), so a fake clock
 * drives expiry. Eviction needs a notion of "now" too: we keep the latest time any caller has shown us
 * (a window start or a slot's `now`), which never runs ahead of the caller's clock, so nothing still
 * live is ever evicted.
 */
import type { Counters, RateResult, RateWindow, SlotResult } from '../core/ports.js';
import { checkSlotRequest, checkWindows } from './counter-input.js';

export interface MemoryCountersOptions {
  /**
   * How often ended windows and expired slots of idle keys are dropped (ms); 0 turns the timer off.
   * Busy keys reuse their ended windows in place, so the sweep only matters for keys that went quiet.
   * Default 30,000.
   */
  sweepIntervalMs?: number;
}

/** Memory counters, plus what tests and metrics need to see that eviction works. */
export interface MemoryCounters extends Counters {
  /** Drops ended windows and expired slots now (the timer does the same periodically). */
  sweep(): void;
  /** Windows and slot leases currently held. */
  size(): { windows: number; leases: number };
}

/** One fixed window of one rate key. */
interface WindowCell {
  start: number;
  end: number;
  count: number;
}

/**
 * The leases of one concurrency key, as two parallel arrays. A concurrency limit is small (tens), so a
 * linear search is quick, and pushing and swap-removing allocate nothing, where a Map allocates a new
 * table every few inserts and deletes as it cleans up deleted entries.
 */
interface SlotLeases {
  tokens: string[];
  expiries: number[];
  /** No lease expires before this, so most acquires skip the scan for expired ones. */
  earliest: number;
}

/**
 * Creates counters for one process.
 *
 * @example
 * const counters = createMemoryCounters();
 * const minute = { key: 'rate:cus_1:minute', limit: 10, windowStart: startOfMinute(now), windowMs: 60_000 };
 * const { allowed } = await counters.hitRate([minute]);
 */
export function createMemoryCounters(options: MemoryCountersOptions = {}): MemoryCounters {
  // A key usually has one cell; two while late requests still count in the window that just ended.
  const windowsByKey = new Map<string, WindowCell[]>();
  const slotsByKey = new Map<string, SlotLeases>();
  // Reused between the check and count passes of hitRate, so a hit allocates only its result.
  const scratch: WindowCell[] = [];
  let latest = Number.NEGATIVE_INFINITY;
  let tokenSequence = 0;

  function findCell(window: RateWindow): WindowCell | undefined {
    const cells = windowsByKey.get(window.key);
    if (cells === undefined) return undefined;
    const end = window.windowStart + window.windowMs;
    for (let i = 0; i < cells.length; i++) {
      const cell = cells[i]!;
      if (cell.start === window.windowStart && cell.end === end) return cell;
    }
    return undefined;
  }

  function findOrOpenCell(window: RateWindow): WindowCell {
    const start = window.windowStart;
    const end = start + window.windowMs;
    let cells = windowsByKey.get(window.key);
    if (cells === undefined) {
      cells = [];
      windowsByKey.set(window.key, cells);
    }
    let ended: WindowCell | undefined;
    for (let i = 0; i < cells.length; i++) {
      const cell = cells[i]!;
      if (cell.start === start && cell.end === end) return cell;
      if (cell.end <= latest) ended = cell;
    }
    // A new window opens about once per key and window length: reuse an ended cell when there is one.
    if (ended !== undefined) {
      ended.start = start;
      ended.end = end;
      ended.count = 0;
      return ended;
    }
    const cell: WindowCell = { start, end, count: 0 };
    cells.push(cell);
    return cell;
  }

  function removeLease(slots: SlotLeases, index: number): void {
    const last = slots.tokens.length - 1;
    slots.tokens[index] = slots.tokens[last]!;
    slots.expiries[index] = slots.expiries[last]!;
    slots.tokens.pop();
    slots.expiries.pop();
  }

  function dropExpiredLeases(slots: SlotLeases, now: number): void {
    let earliest = Number.POSITIVE_INFINITY;
    for (let i = slots.expiries.length - 1; i >= 0; i--) {
      const expiresAt = slots.expiries[i]!;
      if (expiresAt <= now) removeLease(slots, i);
      else if (expiresAt < earliest) earliest = expiresAt;
    }
    slots.earliest = earliest;
  }

  function sweep(): void {
    for (const [key, cells] of windowsByKey) {
      let kept = 0;
      for (const cell of cells) if (cell.end > latest) cells[kept++] = cell;
      cells.length = kept;
      if (kept === 0) windowsByKey.delete(key);
    }
    for (const [key, slots] of slotsByKey) {
      if (slots.earliest <= latest) dropExpiredLeases(slots, latest);
      if (slots.tokens.length === 0) slotsByKey.delete(key);
    }
  }

  const timerMs = options.sweepIntervalMs ?? 30_000;
  const timer = timerMs > 0 ? setInterval(sweep, timerMs) : undefined;
  // The sweep is housekeeping: it must never keep a process alive that has nothing else to do.
  timer?.unref();

  return {
    hitRate(windows: readonly RateWindow[]): Promise<RateResult> {
      const invalid = checkWindows(windows);
      if (invalid !== undefined) return Promise.reject(invalid);
      const n = windows.length;
      const counts = new Array<number>(n);
      for (let i = 0; i < n; i++) {
        const start = windows[i]!.windowStart;
        if (start > latest) latest = start;
      }
      let deniedIndex = -1;
      for (let i = 0; i < n; i++) {
        const window = windows[i]!;
        const cell = findOrOpenCell(window);
        scratch[i] = cell;
        counts[i] = cell.count;
        if (deniedIndex < 0 && cell.count >= window.limit) deniedIndex = i;
      }
      if (deniedIndex >= 0) return Promise.resolve({ allowed: false, counts, deniedIndex });
      for (let i = 0; i < n; i++) counts[i] = ++scratch[i]!.count;
      return Promise.resolve({ allowed: true, counts });
    },

    peekRate(windows: readonly RateWindow[]): Promise<number[]> {
      const counts = new Array<number>(windows.length);
      for (let i = 0; i < windows.length; i++) counts[i] = findCell(windows[i]!)?.count ?? 0;
      return Promise.resolve(counts);
    },

    undoRate(windows: readonly RateWindow[]): Promise<void> {
      for (const window of windows) {
        const cell = findCell(window);
        if (cell !== undefined && cell.count > 0) cell.count--;
      }
      return Promise.resolve();
    },

    acquireSlot(key: string, limit: number, now: number, expiresAt: number): Promise<SlotResult> {
      const invalid = checkSlotRequest(limit, now, expiresAt);
      if (invalid !== undefined) return Promise.reject(invalid);
      if (now > latest) latest = now;
      let slots = slotsByKey.get(key);
      if (slots === undefined) {
        slots = { tokens: [], expiries: [], earliest: Number.POSITIVE_INFINITY };
        slotsByKey.set(key, slots);
      }
      if (slots.earliest <= now) dropExpiredLeases(slots, now);
      const inUse = slots.tokens.length;
      if (inUse >= limit) return Promise.resolve({ acquired: false, inUse });
      const token = (++tokenSequence).toString(36);
      slots.tokens.push(token);
      slots.expiries.push(expiresAt);
      if (expiresAt < slots.earliest) slots.earliest = expiresAt;
      return Promise.resolve({ acquired: true, inUse: inUse + 1, token });
    },

    releaseSlot(key: string, token: string): Promise<void> {
      const slots = slotsByKey.get(key);
      const index = slots === undefined ? -1 : slots.tokens.indexOf(token);
      if (slots !== undefined && index >= 0) {
        removeLease(slots, index);
        if (slots.tokens.length === 0) slots.earliest = Number.POSITIVE_INFINITY;
      }
      return Promise.resolve();
    },

    close(): Promise<void> {
      if (timer !== undefined) clearInterval(timer);
      windowsByKey.clear();
      slotsByKey.clear();
      return Promise.resolve();
    },

    sweep,

    size() {
      let windows = 0;
      let leases = 0;
      for (const cells of windowsByKey.values()) windows += cells.length;
      for (const slots of slotsByKey.values()) leases += slots.tokens.length;
      return { windows, leases };
    },
  };
}
