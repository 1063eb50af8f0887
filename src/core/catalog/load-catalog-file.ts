/**
 * Reading a catalog from a file: YAML (`.yaml`, `.yml`) or JSON (`.json`). Syntax errors are reported
 * with line and column, and every error carries the file name as `CatalogError.source`, so the CLI can
 * print "tollgate.config.yaml" above the list of problems. TypeScript catalogs are modules that call
 * `defineCatalog`; importing them is the caller's business (it is asynchronous, and this is not).
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import type { Catalog } from './catalog.js';
import { CatalogError, type CatalogIssue } from './catalog-error.js';
import { parseCatalog } from './parse-catalog.js';

/**
 * Reads, validates and normalizes a catalog file.
 * @throws CatalogError for an unreadable file, a syntax error or an invalid catalog
 * @example
 * const catalog = loadCatalogFile(process.env.TOLLGATE_CONFIG ?? 'tollgate.config.yaml');
 */
export function loadCatalogFile(path: string | URL): Catalog {
  const source = path instanceof URL ? fileURLToPath(path) : path;
  const extension = extname(source).toLowerCase();
  if (extension !== '.yaml' && extension !== '.yml' && extension !== '.json') {
    throw new CatalogError(
      [
        {
          path: '',
          message: `cannot read a catalog from '${extension || source}' files: use .yaml, .yml or .json`,
        },
      ],
      source,
    );
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new CatalogError([{ path: '', message: `cannot read the catalog file: ${reason}` }], source);
  }
  return parseCatalogText(text, extension === '.json' ? 'json' : 'yaml', source);
}

/**
 * Parses catalog text in YAML or JSON, then validates it like `parseCatalog`.
 * @param source the file name to attach to errors, if any
 * @example
 * parseCatalogText('currency: usd\ndefault_plan: free\nplans: ...', 'yaml');
 */
export function parseCatalogText(
  text: string,
  format: 'yaml' | 'json',
  source: string | null = null,
): Catalog {
  const input = format === 'json' ? readJson(text, source) : readYaml(text, source);
  try {
    return parseCatalog(input);
  } catch (error) {
    if (error instanceof CatalogError) throw new CatalogError(error.issues, source);
    throw error;
  }
}

function readYaml(text: string, source: string | null): unknown {
  const document = parseDocument(text);
  if (document.errors.length > 0) {
    throw new CatalogError(
      document.errors.map((error) => {
        // yaml appends its own " at line L, column C:" and a code frame; keep only the sentence.
        const sentence = (error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
        const position = error.linePos?.[0];
        return syntaxIssue('YAML', sentence, position?.line, position?.col);
      }),
      source,
    );
  }
  return document.toJS();
}

function readJson(text: string, source: string | null): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // Node reports an offset ("at position 42"); people look for a line and a column.
    const offset = /at position (\d+)/.exec(message)?.[1];
    const sentence = message.replace(/ in JSON at position \d+.*$/, '');
    if (offset === undefined) throw new CatalogError([syntaxIssue('JSON', sentence)], source);
    const before = text.slice(0, Number(offset)).split('\n');
    const column = (before.at(-1)?.length ?? 0) + 1;
    throw new CatalogError([syntaxIssue('JSON', sentence, before.length, column)], source);
  }
}

function syntaxIssue(language: string, sentence: string, line?: number, column?: number): CatalogIssue {
  const where = line === undefined ? '' : ` at line ${line}, column ${column ?? 1}`;
  return { path: '', message: `${language} syntax error${where}: ${sentence}` };
}
