/**
 * `npm run footprint`: what Tollgate adds to an Express app that uses the middleware on SQLite. Packs
 * the package, installs a bare Express app and the same app with Tollgate (test/package/apps/
 * express-app.js) in fresh temporary directories, and prints the packages and megabytes each install
 * holds (bytes of the files, and disk used in whole blocks as `du` counts), and the time
 * from `node app.js` to listening, wall and CPU (median of FOOTPRINT_RUNS starts, default 5,
 * alternating the two apps so both see the same machine load). The app with Tollgate also migrates a
 * new SQLite file and creates a customer and a key before it listens. Targets: under 60 packages, 60 MB and
 * 0.3 s added.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  installApp,
  measureNodeModules,
  packTarball,
  REPO_ROOT,
  startApp,
} from '../test/support/packed-package.js';

const RUNS = Number(process.env.FOOTPRINT_RUNS ?? 5);
const BARE_APP = `import express from 'express';
const app = express();
app.post('/search', (_req, res) => res.json({ hits: [] }));
const server = app.listen(0, '127.0.0.1', () => {
  process.stdout.write(\`listening http://127.0.0.1:\${server.address().port}\\n\`);
});
`;

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};
const mb = (bytes: number) => (bytes / 1_000_000).toFixed(1);

const work = mkdtempSync(join(tmpdir(), 'tollgate-footprint-'));
try {
  const packed = packTarball(join(work, 'pack'));
  const expressVersion = (
    JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', 'express', 'package.json'), 'utf8')) as {
      version: string;
    }
  ).version;
  const bare = installApp(
    join(work, 'bare'),
    { dependencies: { express: `^${expressVersion}` } },
    { 'app.js': BARE_APP },
  );
  const gated = installApp(
    join(work, 'tollgate'),
    { dependencies: { express: `^${expressVersion}`, tollgate: `file:${packed.tarball}` } },
    { 'app.js': readFileSync(join(REPO_ROOT, 'test', 'package', 'apps', 'express-app.js'), 'utf8') },
  );

  const starts = { bare: [] as number[], gated: [] as number[] };
  const cpu = { bare: [] as number[], gated: [] as number[] };
  for (let run = 0; run < RUNS; run++) {
    for (const [name, directory] of [
      ['bare', bare.directory],
      ['gated', gated.directory],
    ] as const) {
      const app = await startApp(directory, 'app.js');
      starts[name].push(app.startupMs);
      cpu[name].push(app.cpuMs);
      await app.stop();
    }
  }

  const bareSize = measureNodeModules(bare.directory);
  const gatedSize = measureNodeModules(gated.directory);
  const row = (label: string, size: typeof bareSize, ms: number, cpuMs: number) =>
    `${label.padEnd(28)}${String(size.packages).padStart(9)}${mb(size.bytes).padStart(9)}${mb(size.diskBytes).padStart(11)}${String(Math.round(ms)).padStart(12)}${String(Math.round(cpuMs)).padStart(10)}`;
  process.stdout.write(
    [
      `Tollgate ${packed.version} in an Express app (middleware, SQLite), Node ${process.version}, ${RUNS} starts each`,
      `${''.padEnd(28)}${'packages'.padStart(9)}${'MB'.padStart(9)}${'MB (du)'.padStart(11)}${'start (ms)'.padStart(12)}${'cpu (ms)'.padStart(10)}`,
      row('express', bareSize, median(starts.bare), median(cpu.bare)),
      row('express + tollgate', gatedSize, median(starts.gated), median(cpu.gated)),
      row(
        'added by tollgate',
        {
          packages: gatedSize.packages - bareSize.packages,
          bytes: gatedSize.bytes - bareSize.bytes,
          diskBytes: gatedSize.diskBytes - bareSize.diskBytes,
        },
        median(starts.gated) - median(starts.bare),
        median(cpu.gated) - median(cpu.bare),
      ),
      `load average ${loadavg()
        .map((load) => load.toFixed(1))
        .join(' ')} on ${cpus().length} cores (start times grow with it; CPU time less so)`,
      'targets for what is added: under 60 packages, 60 MB and 300 ms',
      '',
    ].join('\n'),
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
