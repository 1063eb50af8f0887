/**
 * The deterministic identifier of one meter event. Stripe drops a second event with an identifier it
 * has seen (within at least 24 hours), so a retry of a send whose answer was lost can never count twice.
 */
import { createHash } from 'node:crypto';
import type { MeterWindow } from '../../core/ports.js';

/** Stripe's limit on `identifier`. */
const maxLength = 100;

/**
 * `tollgate:<customer>:<meter>:<window start, Unix seconds>` for a window's first send. Usage committed
 * into the window after it was reported goes out later as the rest, identified by how much had been sent
 * before (`...:<sentValue>`), so each part has its own identifier and a retry of a part keeps it.
 * @example meterEventIdentifier({ customerId: 'cus_1', meter: 'overage', windowStart: 1767225600000, sentValue: 0 })
 * // 'tollgate:cus_1:overage:1767225600'
 */
export function meterEventIdentifier(
  window: Pick<MeterWindow, 'customerId' | 'meter' | 'windowStart' | 'sentValue'>,
): string {
  const base = `tollgate:${window.customerId}:${window.meter}:${Math.floor(window.windowStart / 1000)}`;
  const identifier = window.sentValue === 0 ? base : `${base}:${window.sentValue}`;
  if (identifier.length <= maxLength) return identifier;
  // Long customer ids: a digest keeps it deterministic and within the limit.
  return `tollgate:${createHash('sha256').update(identifier).digest('hex')}`;
}
