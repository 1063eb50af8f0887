/**
 * `tollgate dashboard build`: builds the billing page and admin console into dashboard/dist. `npm
 * install` runs it (the `prepare` script) and `start`/`serve` run it when the sources changed, so it
 * is only needed by hand after editing the pages while a server keeps running.
 */
import type { Command } from 'commander';
import { buildDashboard, DASHBOARD_DIST } from '../server/dashboard-build.js';

export function registerDashboardCommand(program: Command): void {
  program
    .command('dashboard')
    .description('The billing page and admin console.')
    .command('build')
    .description('Build the pages (Vite) into dashboard/dist.')
    .action(async () => {
      const started = Date.now();
      await buildDashboard();
      process.stdout.write(`Built the pages into ${DASHBOARD_DIST} in ${Date.now() - started} ms.\n`);
    });
}
