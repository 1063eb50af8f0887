/**
 * The pages stay small: what a browser downloads to show each page (its scripts, the chunks it
 * preloads and its style sheets, gzipped as served) fits a budget. React itself is about 60 KB of
 * it; the budget leaves room for the pages and fails a dependency that would double them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARD_DIST, ensureDashboard } from './dashboard-build.js';

const BUDGET_BYTES = 100_000;

function pageWeight(page: 'billing' | 'admin'): { bytes: number; files: string[] } {
  const html = readFileSync(join(DASHBOARD_DIST, `${page}.html`), 'utf8');
  const files = [...html.matchAll(/(?:src|href)="\/ui\/(assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]!);
  const bytes = files.reduce(
    (sum, file) => sum + gzipSync(readFileSync(join(DASHBOARD_DIST, file))).length,
    0,
  );
  return { bytes, files };
}

describe('page weight', () => {
  beforeAll(async () => {
    expect(await ensureDashboard()).not.toBe('missing');
  }, 120_000);

  for (const page of ['billing', 'admin'] as const) {
    it(`${page}: scripts and styles under ${BUDGET_BYTES / 1000} KB gzipped`, () => {
      const { bytes, files } = pageWeight(page);
      expect(files.some((file) => file.endsWith('.js'))).toBe(true);
      expect(files.some((file) => file.endsWith('.css'))).toBe(true);
      expect(bytes, `${page}: ${bytes} bytes in ${files.join(', ')}`).toBeLessThan(BUDGET_BYTES);
    });
  }
});
