import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { errorRegistry, invalidRequest, TollgateError } from './errors.js';

describe('error registry', () => {
  it('is documented exactly in docs/errors.md, with the same statuses', () => {
    const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
    const rows = [...doc.matchAll(/^\| `([a-z_]+)` \| (\d{3}) \|/gm)].map((match) => [
      match[1],
      Number(match[2]),
    ]);
    expect(Object.fromEntries(rows)).toEqual(
      Object.fromEntries(Object.entries(errorRegistry).map(([code, entry]) => [code, entry.status])),
    );
  });

  it('renders the documented body with details and every issue', () => {
    const error = invalidRequest([
      { path: 'quantity', message: 'expected a positive integer' },
      { path: 'operation', message: 'unknown operation' },
    ]);
    expect(error.status).toBe(400);
    expect(error.toBody()).toEqual({
      error: 'invalid_request',
      message: 'quantity: expected a positive integer; operation: unknown operation',
      issues: [
        { path: 'quantity', message: 'expected a positive integer' },
        { path: 'operation', message: 'unknown operation' },
      ],
    });
    expect(new TollgateError('not_found').toBody()).toEqual({
      error: 'not_found',
      message: 'No such resource.',
    });
  });
});
