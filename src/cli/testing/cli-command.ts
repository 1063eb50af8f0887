/**
 * How tests run the `tollgate` command: from the TypeScript sources through tsx, so a test sees the
 * code under test without a build. The built command (`bin/tollgate.js` on `dist/`) is run by the
 * package test, from the packed tarball.
 */
const main = new URL('../main.ts', import.meta.url).pathname;

/** Arguments for `spawn(process.execPath, cliArgs('serve'))`. */
export function cliArgs(...args: string[]): string[] {
  return ['--import', 'tsx', main, ...args];
}
