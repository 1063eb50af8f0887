import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CatalogError } from './catalog-error.js';
import { DEMO_CATALOG_URL } from './demo-catalog.js';
import { loadCatalogFile, parseCatalogText } from './load-catalog-file.js';

const directory = mkdtempSync(join(tmpdir(), 'tollgate-catalog-'));

function file(name: string, text: string): string {
  const path = join(directory, name);
  writeFileSync(path, text);
  return path;
}

function errorOf(load: () => unknown): CatalogError {
  try {
    load();
  } catch (error) {
    if (error instanceof CatalogError) return error;
    throw error;
  }
  throw new Error('expected a CatalogError');
}

const minimal = {
  currency: 'usd',
  default_plan: 'free',
  plans: { free: { name: 'Free', limits: { credits: 1 } } },
};

describe('loadCatalogFile', () => {
  it('loads the demo catalog from its URL', () => {
    expect(loadCatalogFile(DEMO_CATALOG_URL).plans.map((plan) => plan.id)).toEqual([
      'free',
      'starter',
      'pro',
      'enterprise',
    ]);
  });

  it('loads .yml and .json files', () => {
    const yaml = file(
      'catalog.yml',
      'currency: usd\ndefault_plan: free\nplans:\n  free: { name: Free, limits: { credits: 1 } }\n',
    );
    const json = file('catalog.json', JSON.stringify(minimal, null, 2));
    expect(loadCatalogFile(yaml)).toEqual(loadCatalogFile(json));
  });

  it('reports YAML syntax errors with line and column', () => {
    const path = file('broken.yaml', 'currency: usd\nplans:\n  free: { name: Free\n  pro: x: y\n');
    const error = errorOf(() => loadCatalogFile(path));
    expect(error.source).toBe(path);
    expect(error.issues.length).toBeGreaterThan(0);
    expect(error.issues[0]?.path).toBe('');
    expect(error.issues[0]?.message).toMatch(/^YAML syntax error at line \d+, column \d+: \S/);
  });

  it('points at the exact place of a YAML error', () => {
    const error = errorOf(() => parseCatalogText('currency: usd\ndefault_plan: free: x\n', 'yaml'));
    expect(error.message).toBe(
      'YAML syntax error at line 2, column 15: Nested mappings are not allowed in compact mappings',
    );
  });

  it('refuses duplicate keys, such as a plan defined twice', () => {
    const error = errorOf(() => parseCatalogText('plans:\n  free: {}\n  free: {}\n', 'yaml'));
    expect(error.message).toMatch(/^YAML syntax error at line 3, column 3: Map keys must be unique/);
  });

  it('reports JSON syntax errors with line and column', () => {
    const path = file('broken.json', '{\n  "currency": "usd",\n}\n');
    const error = errorOf(() => loadCatalogFile(path));
    expect(error.message).toMatch(/^JSON syntax error at line 3, column 1: /);
  });

  it('names the file on validation errors', () => {
    const path = file(
      'invalid.yaml',
      'currency: usd\ndefault_plan: free\nplans:\n  free: { limits: { credits: 1 } }\n',
    );
    const error = errorOf(() => loadCatalogFile(path));
    expect(error.source).toBe(path);
    expect(error.message).toBe('plans.free.name: required');
  });

  it('reads YAML credit numbers through their decimal form, exponents included', () => {
    const catalog = parseCatalogText(
      'currency: usd\ndefault_plan: free\noperations: { search: 0.1, tiny: 1e-3, odd: 1.005 }\nplans:\n  free: { name: Free, limits: { credits: 100 } }\n',
      'yaml',
    );
    expect(Object.values(catalog.operations).map((operation) => operation.cost)).toEqual([100, 1, 1005]);
  });

  it('refuses a missing file and an unsupported type with a CatalogError', () => {
    expect(errorOf(() => loadCatalogFile(join(directory, 'absent.yaml'))).message).toMatch(
      /^cannot read the catalog file: ENOENT/,
    );
    expect(errorOf(() => loadCatalogFile(file('catalog.toml', ''))).message).toMatch(
      /use \.yaml, \.yml or \.json$/,
    );
  });

  it('refuses an empty file as not a catalog', () => {
    expect(errorOf(() => loadCatalogFile(file('empty.yaml', ''))).message).toBe(
      'expected the catalog to be a mapping (key: value pairs)',
    );
  });
});
