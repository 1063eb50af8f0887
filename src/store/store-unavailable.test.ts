/** Which store errors mean "the database cannot serve now" (answered 503) and which are bugs (500). */
import { describe, expect, it } from 'vitest';
import { isStoreUnavailable } from './errors.js';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('isStoreUnavailable', () => {
  it('recognises terminated backends, lost connections, a database starting or full, SQLite busy', () => {
    for (const error of [
      withCode('57P01', 'terminating connection due to administrator command'),
      withCode('57P03'),
      withCode('08006'),
      withCode('53300'),
      withCode('ECONNREFUSED'),
      withCode('SQLITE_BUSY'),
      new Error('Connection terminated unexpectedly'),
      new Error('Client has encountered a connection error and is not queryable'),
      new AggregateError([withCode('ECONNREFUSED')], 'connect failed'),
      new Error('wrapped', { cause: withCode('57P01') }),
    ])
      expect(isStoreUnavailable(error), String(error)).toBe(true);
  });

  it('leaves query errors and bugs alone', () => {
    for (const error of [
      withCode('23505'),
      withCode('42P01', 'relation "customers" does not exist'),
      withCode('SQLITE_CONSTRAINT_UNIQUE'),
      new TypeError('undefined is not a function'),
      'a string',
      null,
    ])
      expect(isStoreUnavailable(error), String(error)).toBe(false);
  });
});
