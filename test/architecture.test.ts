/**
 * Keeps the boundaries of docs/architecture.md visible in the tree: the core imports no driver,
 * framework or Stripe SDK, the emulator imports nothing from Tollgate, and the pages (dashboard/) reach
 * Tollgate over HTTP only: they import nothing from src/ and no package but React and its router.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [
    ...text.matchAll(/(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g),
  ].map((match) => match[1] ?? match[2] ?? '');
}

// Libraries the pure core may use: validation and parsing, no I/O drivers or frameworks.
const coreAllowed = new Set(['zod', 'yaml']);

describe('architecture', () => {
  it('core imports only node built-ins, zod, yaml and its own files', () => {
    const offenders = sourceFiles(join(root, 'src/core')).flatMap((file) =>
      importsOf(file)
        .filter((spec) => !spec.startsWith('.') && !spec.startsWith('node:') && !coreAllowed.has(spec))
        .map((spec) => `${relative(root, file)} imports ${spec}`),
    );
    expect(offenders).toEqual([]);
  });

  it('core never reaches into the layers built on it', () => {
    const offenders = sourceFiles(join(root, 'src/core')).flatMap((file) =>
      importsOf(file)
        .filter(
          (spec) =>
            spec.startsWith('.') && /\.\.\/(store|counters|stripe|server|adapters|cli|emulator)\//.test(spec),
        )
        .map((spec) => `${relative(root, file)} imports ${spec}`),
    );
    expect(offenders).toEqual([]);
  });

  it('the emulator imports nothing from the rest of Tollgate', () => {
    const emulatorFiles = sourceFiles(join(root, 'src/emulator'));
    const offenders = emulatorFiles.flatMap((file) =>
      importsOf(file)
        .filter(
          (spec) => spec.startsWith('.') && !join(file, '..', spec).startsWith(join(root, 'src/emulator')),
        )
        .map((spec) => `${relative(root, file)} imports ${spec}`),
    );
    expect(offenders).toEqual([]);
  });

  it('the pages import nothing from src/ and no package but React and wouter', () => {
    const pageFiles = sourceFiles(join(root, 'dashboard/src'));
    expect(pageFiles.length).toBeGreaterThan(5);
    const allowed = /^(react|react-dom|react-dom\/client|react\/jsx-runtime|wouter|wouter\/.*)$/;
    const offenders = pageFiles.flatMap((file) =>
      importsOf(file)
        .filter((spec) =>
          spec.startsWith('.')
            ? !join(file, '..', spec).startsWith(join(root, 'dashboard/src'))
            : !allowed.test(spec),
        )
        .map((spec) => `${relative(root, file)} imports ${spec}`),
    );
    expect(offenders).toEqual([]);
  });

  it('detects a forbidden import (the check itself works)', () => {
    expect(importsOf(join(root, 'test/architecture.test.ts'))).toContain('vitest');
  });
});
