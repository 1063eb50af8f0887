import { describe, expect, it } from 'vitest';
import { createTickBatcher } from './tick-batcher.js';

function recordingBatcher(maxBatch: number) {
  const sent: number[][] = [];
  const batcher = createTickBatcher(async (calls: readonly number[]) => {
    sent.push([...calls]);
    if (calls.includes(-1)) throw new Error('bad batch');
    return calls.map((call) => call * 10);
  }, maxBatch);
  return { batcher, sent };
}

describe('tick batcher', () => {
  it('sends the calls of one tick together and answers each with its own result', async () => {
    const { batcher, sent } = recordingBatcher(100);
    const results = await Promise.all([1, 2, 3].map((call) => batcher.add(call)));
    expect(results).toEqual([10, 20, 30]);
    expect(sent).toEqual([[1, 2, 3]]);
  });

  it('sends the calls of a later tick in a batch of their own', async () => {
    const { batcher, sent } = recordingBatcher(100);
    await batcher.add(1);
    await batcher.add(2);
    expect(sent).toEqual([[1], [2]]);
  });

  it('splits a tick into batches of at most `maxBatch`', async () => {
    const { batcher, sent } = recordingBatcher(2);
    const results = await Promise.all([1, 2, 3, 4, 5].map((call) => batcher.add(call)));
    expect(results).toEqual([10, 20, 30, 40, 50]);
    expect(sent).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('fails every call of a failed batch, and only those', async () => {
    const { batcher } = recordingBatcher(2);
    const results = await Promise.allSettled([1, -1, 3].map((call) => batcher.add(call)));
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected', 'fulfilled']);
  });

  it('sends at once on flush', async () => {
    const { batcher, sent } = recordingBatcher(100);
    const pending = batcher.add(7);
    batcher.flush();
    expect(sent).toEqual([[7]]);
    expect(await pending).toBe(70);
  });
});
