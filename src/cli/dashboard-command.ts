/**
 * `tollgate dashboard build`: builds the billing page and admin console into dashboard/dist. `npm
 * install` runs it (the package build) and `start`/`serve` run it when the sources changed, so it
 * is only needed by hand after editing the pages while a server keeps running. `--if-stale` (what the
 * package build runs) skips the build when dist already matches the sources.
 */
import type { Command } from 'commander';
import { buildDashboard, DASHBOARD_DIST, ensureDashboard } from '../server/dashboard-build.js';

export function registerDashboardCommand(program: Command): void {
  program
    .command('dashboard')
    .description('The billing page and admin console.')
    .command('build')
    .description('Build the pages (Vite) into dashboard/dist.')
    .option('--if-stale', 'only when dist was not built from the current sources (the package build)')
    .action(async (options: { ifStale?: boolean }) => {
      if (options.ifStale) {
        await ensureDashboard((line) => process.stdout.write(`${line}\n`));
        return;
      }
      const started = Date.now();
      await buildDashboard();
      process.stdout.write(`Built the pages into ${DASHBOARD_DIST} in ${Date.now() - started} ms.\n`);
    });
}
