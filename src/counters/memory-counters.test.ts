import { describe, expect, it } from 'vitest';
import { describeCountersContract } from './counters-contract.js';
import { createMemoryCounters } from './memory-counters.js';

describeCountersContract('memory', async () => {
  const counters = createMemoryCounters();
  return { counters, cleanup: () => counters.close() };
});

describe('memory counters', () => {
  const t0 = Date.UTC(2026, 0, 1);

  it('drops ended windows and expired leases when swept', async () => {
    const counters = createMemoryCounters({ sweepIntervalMs: 0 });
    await counters.hitRate([{ key: 'idle', limit: 5, windowStart: t0, windowMs: 60_000 }]);
    await counters.acquireSlot('idle', 5, t0, t0 + 30_000);
    counters.sweep();
    expect(counters.size()).toEqual({ windows: 1, leases: 1 });

    // Another key's traffic shows that time has moved past the idle key's window and lease.
    await counters.hitRate([{ key: 'busy', limit: 5, windowStart: t0 + 60_000, windowMs: 60_000 }]);
    counters.sweep();
    expect(counters.size()).toEqual({ windows: 1, leases: 0 });
    await counters.close();
  });

  it('reuses the ended window of a busy key instead of growing', async () => {
    const counters = createMemoryCounters({ sweepIntervalMs: 0 });
    for (let minute = 0; minute < 100; minute++) {
      const windowStart = t0 + minute * 60_000;
      await counters.hitRate([{ key: 'busy', limit: 5, windowStart, windowMs: 60_000 }]);
    }
    expect(counters.size().windows).toBeLessThanOrEqual(2);
    await counters.close();
  });

  it('keeps a window that has not ended, even when swept', async () => {
    const counters = createMemoryCounters({ sweepIntervalMs: 0 });
    const day = { key: 'day', limit: 5, windowStart: t0, windowMs: 86_400_000 };
    await counters.hitRate([day]);
    await counters.hitRate([{ key: 'minute', limit: 5, windowStart: t0 + 3_600_000, windowMs: 60_000 }]);
    counters.sweep();
    expect(await counters.peekRate([day])).toEqual([1]);
    await counters.close();
  });
});
