/**
 * Optional peers are loaded when first used; a missing one fails with the package named and the
 * install line, and a check of several names them all at once. (The package test runs the same in
 * a fresh app where the peers really are absent.)
 */
import { describe, expect, it } from 'vitest';
import { checkPeers, importPeer, MissingPeerError, requirePeer } from './optional-peer.js';

describe('optional peers', () => {
  it('loads an installed peer', () => {
    const pg = requirePeer<typeof import('pg')>('pg', 'A PostgreSQL store');
    expect(typeof pg.Pool).toBe('function');
  });

  it('names the missing package and how to install it', () => {
    const load = () => requirePeer('tollgate-absent-driver', 'A test store');
    expect(load).toThrow(MissingPeerError);
    expect(load).toThrow(
      "A test store needs the package 'tollgate-absent-driver', not installed: npm install tollgate-absent-driver",
    );
  });

  it('names a missing ES module peer the same way', async () => {
    await expect(importPeer('tollgate-absent-module', 'A test feature')).rejects.toThrow(
      "A test feature needs the package 'tollgate-absent-module', not installed",
    );
  });

  it('lists every missing peer of a feature at once, and passes when all are there', () => {
    expect(() => checkPeers(['fastify', 'tollgate-absent-a', 'tollgate-absent-b'], 'The service')).toThrow(
      "The service needs the packages 'tollgate-absent-a', 'tollgate-absent-b', not installed: npm install tollgate-absent-a tollgate-absent-b",
    );
    expect(() => checkPeers(['fastify', 'pino'], 'The service')).not.toThrow();
  });
});
