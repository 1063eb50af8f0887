/**
 * Builds the two pages (customer billing, admin console) into dashboard/dist: one HTML file each,
 * shared chunks under /ui/assets/. The server serves them at /billing and /admin (see
 * src/server/dashboard-pages.ts); `npm install` builds them (the `prepare` script) and `start` builds
 * them when missing or stale, so there is no separate build command.
 */
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: '/ui/',
  plugins: [react()],
  logLevel: 'warn',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    assetsInlineLimit: 0,
    rollupOptions: {
      input: { billing: `${root}billing.html`, admin: `${root}admin.html` },
    },
  },
});
