/**
 * How the page fits into the app that opened it: the theme colours (already validated as hex) become
 * CSS variables, and in embedded mode the page tells its host frame how tall it is, so the host can size
 * the iframe with no inner scroll bar.
 */
import { useEffect } from 'react';
import type { BillingTheme } from './session';

export const resizeMessageType = 'tollgate:billing:resize';

/** "#abc" -> [170, 187, 204]. */
function channels(hex: string): [number, number, number] {
  const digits = hex.length === 4 ? [...hex.slice(1)].map((d) => d + d).join('') : hex.slice(1);
  return [0, 2, 4].map((at) => Number.parseInt(digits.slice(at, at + 2), 16)) as [number, number, number];
}

/** WCAG relative luminance, to pick readable text on the accent colour. */
function luminance(hex: string): number {
  const [r, g, b] = channels(hex).map((value) => {
    const c = value / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** White or near-black, whichever contrasts more with `background`. */
export function readableTextOn(background: string): string {
  const l = luminance(background);
  return 1.05 / (l + 0.05) >= (l + 0.05) / 0.05 ? '#ffffff' : '#111111';
}

export function applyDisplay(
  theme: BillingTheme,
  embed: boolean,
  root: HTMLElement = document.documentElement,
) {
  const style = root.style;
  if (theme.accent) {
    style.setProperty('--tg-accent', theme.accent);
    style.setProperty('--tg-accent-text', readableTextOn(theme.accent));
  }
  if (theme.background) {
    style.setProperty('--tg-bg', theme.background);
    style.setProperty('--tg-surface', theme.background);
  }
  if (theme.text) {
    style.setProperty('--tg-text', theme.text);
    style.setProperty('--tg-muted', `color-mix(in srgb, ${theme.text} 78%, var(--tg-bg))`);
  }
  if (embed) {
    root.dataset.embed = 'true';
    // Transparent unless the host asked for a background, so the page sits on the host's own.
    if (!theme.background) style.setProperty('--tg-bg', 'transparent');
  }
}

/** In embedded mode, posts the page's height to the host frame whenever it changes. */
export function useResizeReporter(enabled: boolean, element: () => HTMLElement | null) {
  useEffect(() => {
    const target = element();
    if (!enabled || target === null || typeof ResizeObserver === 'undefined') return;
    let last = -1;
    const report = () => {
      const height = Math.ceil(target.getBoundingClientRect().height);
      if (height === last) return;
      last = height;
      window.parent.postMessage({ type: resizeMessageType, height }, '*');
    };
    const observer = new ResizeObserver(report);
    observer.observe(target);
    report();
    return () => observer.disconnect();
  }, [enabled, element]);
}
