#!/usr/bin/env node
/**
 * Builds the package: `tsc -p tsconfig.build.json` compiles src/ to ESM JavaScript and `.d.ts` in
 * dist/, the catalog YAML the code reads beside itself is copied over, and the pages are built into
 * dashboard/dist when their sources changed since the last build. Plain Node (no TypeScript loader), so it runs wherever `npm install` (prepare) and
 * `npm pack` (which runs prepare too) do. Everything it prints goes to stderr: `npm pack --json`
 * keeps stdout for its JSON.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');
const dist = join(root, 'dist');

function run(args) {
  const result = spawnSync(process.execPath, args, { cwd: root, stdio: ['ignore', 2, 2] });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

function copyAssets(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) copyAssets(path);
    else if (entry.name.endsWith('.yaml')) cpSync(path, join(dist, relative(src, path)));
  }
}

rmSync(dist, { recursive: true, force: true });
const typescript = dirname(createRequire(import.meta.url).resolve('typescript/package.json'));
run([join(typescript, 'bin', 'tsc'), '-p', 'tsconfig.build.json']);
copyAssets(src);
run([join(dist, 'cli', 'main.js'), 'dashboard', 'build', '--if-stale']);
