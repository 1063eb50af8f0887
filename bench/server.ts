/**
 * A bench server in its own process, so that it has a core to itself while autocannon runs in the
 * parent. Started as `node --import tsx bench/server.ts '<ServerSpec JSON>'` with an IPC channel: it
 * sends `{ type: 'ready', port }` once listening, answers `{ type: 'sample' }` with its CPU and
 * commit figures, profiles between `profile-start` and `profile-stop`, and exits on `{ type: 'stop' }`
 * or when the parent goes away.
 */
import { type BenchApp, buildBenchApp, type ServerSpec } from './bench-app.js';
import { type ChildMessage, type ParentMessage, sampleProcess } from './child-protocol.js';
import { startProfiling, stopProfiling } from './window-profiler.js';

const send = (message: ChildMessage): void => {
  process.send?.(message);
};

async function main(): Promise<void> {
  const argument = process.argv[2];
  if (!argument || !process.send)
    throw new Error('usage: node --import tsx bench/server.ts <spec json> (with IPC)');
  const spec = JSON.parse(argument) as ServerSpec;
  const bench: BenchApp = await buildBenchApp(spec);
  const port = await bench.listen();
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    try {
      await bench.close();
    } finally {
      send({ type: 'stopped' });
      process.disconnect?.();
      process.exit(0);
    }
  };
  process.on('message', (message: ParentMessage) => {
    if (message.type === 'sample')
      send({ type: 'sample', sample: sampleProcess(bench.commitStats, bench.counts) });
    else if (message.type === 'stop') void stop();
    else if (message.type === 'profile-start')
      void startProfiling().then(() => send({ type: 'profile-started' }));
    else if (message.type === 'profile-stop') {
      void stopProfiling(message.file).then(() => send({ type: 'profile-written' }));
    }
  });
  process.on('disconnect', () => void stop());
  send({ type: 'ready', port });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
