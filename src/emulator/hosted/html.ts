/**
 * HTML helpers for the hosted pages: escaping, a shared layout, money formatting and a test-card picker.
 */
import { formatMoney } from '../billing/price-amount.js';
import { HOSTED_PAGE_CARDS } from '../cards.js';
import type { PageResponse } from '../router.js';

export { formatMoney };

export function escapeHtml(value: unknown): string {
  return String(value ?? '')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

export function formatDate(timestamp: number | null | undefined): string {
  if (timestamp === null || timestamp === undefined) return '-';
  return new Date(timestamp * 1000).toISOString().slice(0, 10);
}

export function page(title: string, body: string, status = 200): PageResponse {
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
  body { font-family: system-ui, sans-serif; max-width: 720px; margin: 2rem auto; padding: 0 1rem; color: #1a1f36; }
  h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin-top: 2rem; }
  .banner { background: #fff4e5; border: 1px solid #f5a623; padding: .5rem .75rem; border-radius: 6px; font-size: .85rem; }
  .error { background: #fdecea; border: 1px solid #e25950; padding: .5rem .75rem; border-radius: 6px; }
  .notice { background: #e6f4ea; border: 1px solid #34a853; padding: .5rem .75rem; border-radius: 6px; }
  table { width: 100%; border-collapse: collapse; } td, th { text-align: left; padding: .4rem; border-bottom: 1px solid #e3e8ee; }
  label { display: block; margin: .35rem 0; } button { background: #635bff; color: white; border: 0; padding: .6rem 1.2rem; border-radius: 6px; cursor: pointer; font-size: 1rem; }
  button.secondary { background: #e3e8ee; color: #1a1f36; } .card { border: 1px solid #e3e8ee; border-radius: 8px; padding: 1rem; margin: 1rem 0; }
</style></head>
<body><p class="banner">Test mode: Tollgate's local Stripe emulator. No real payment is made.</p>
${body}
</body></html>`;
  return { status, headers: { 'content-type': 'text/html; charset=utf-8' }, body: html };
}

export function redirect(location: string): PageResponse {
  return { status: 303, headers: { location }, body: '' };
}

export function notFound(what: string): PageResponse {
  return page('Not found', `<h1>Not found</h1><p>${escapeHtml(what)}</p>`, 404);
}

/** Radio buttons for the test cards; the first is selected. */
export function cardPicker(name = 'card'): string {
  return HOSTED_PAGE_CARDS.map(
    (card, index) =>
      `<label><input type="radio" name="${name}" value="${card.id}" data-testid="card-${card.id}"${index === 0 ? ' checked' : ''}> ${escapeHtml(card.label)}</label>`,
  ).join('\n');
}
