/**
 * The browser side of the page tests: Debian's Chromium through playwright-core, screenshots named
 * after each step under the git-ignored test-results/, an axe-core accessibility check, and the layout
 * measures the pages promise (no layout shift, no horizontal scrolling on a phone).
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

const resultsRoot = new URL('../../../test-results/', import.meta.url).pathname;

/**
 * Numbered screenshots of one suite: test-results/<suite>/01-<step>.png, 02-..., full page. The
 * folder is emptied first, so it shows one run (one Screenshots per suite name).
 */
export class Screenshots {
  private count = 0;
  readonly dir: string;

  constructor(suite: string) {
    this.dir = join(resultsRoot, suite);
    rmSync(this.dir, { recursive: true, force: true });
    mkdirSync(this.dir, { recursive: true });
  }

  async shot(page: Page, step: string): Promise<string> {
    this.count += 1;
    const name = `${String(this.count).padStart(2, '0')}-${step.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}.png`;
    const path = join(this.dir, name);
    await page.screenshot({ path, fullPage: true });
    return path;
  }
}

/** What the functions below use of the page's globals (this file is type-checked without the DOM lib). */
interface PageGlobals {
  axe?: { run(context: unknown, options: unknown): Promise<{ violations: AxeViolation[] }> };
  __cls?: number;
  innerWidth: number;
  document: { documentElement: { scrollWidth: number } };
  PerformanceObserver: new (
    callback: (list: { getEntries(): unknown[] }) => void,
  ) => { observe(options: { type: string; buffered: boolean }): void };
}

/** axe-core's browser build, for pages that load it before their own scripts (an init script). */
export const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[] }[];
}

/** Runs axe-core (WCAG 2.x A/AA rules and best practices) and fails on serious or critical violations. */
export async function expectAccessible(page: Page, label: string): Promise<void> {
  // Evaluated through the DevTools protocol, which the page's Content-Security-Policy does not block
  // (an injected <script> would be).
  if (!(await page.evaluate(() => (globalThis as unknown as PageGlobals).axe !== undefined)))
    await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const g = globalThis as unknown as PageGlobals;
    const result = await g.axe!.run(g.document, { resultTypes: ['violations'] });
    return result.violations;
  });
  const blocking = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  if (blocking.length > 0) {
    const lines = blocking.map(
      (v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')})`,
    );
    throw new Error(`accessibility violations on ${label}:\n${lines.join('\n')}`);
  }
}

/**
 * Starts collecting layout shifts in every document of the page; call before navigating.
 * `layoutShift(page)` then returns the cumulative score (shifts right after input excluded).
 */
export async function trackLayoutShift(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const g = globalThis as unknown as PageGlobals;
    g.__cls = 0;
    new g.PerformanceObserver((list) => {
      for (const entry of list.getEntries() as { value: number; hadRecentInput: boolean }[]) {
        if (!entry.hadRecentInput) g.__cls = (g.__cls ?? 0) + entry.value;
      }
    }).observe({ type: 'layout-shift', buffered: true });
  });
}

export function layoutShift(page: Page): Promise<number> {
  return page.evaluate(() => (globalThis as unknown as PageGlobals).__cls ?? Number.NaN);
}

/** True when the page is wider than the viewport (a phone would scroll sideways). */
export function horizontalOverflow(page: Page): Promise<boolean> {
  return page.evaluate(() => {
    const g = globalThis as unknown as PageGlobals;
    return g.document.documentElement.scrollWidth > g.innerWidth + 1;
  });
}
