/**
 * Which Stripe meter (by `event_name`) each outbox meter reports to: the credit overage to
 * `tollgate_overage`, each operation's overage to `tollgate_op_<operation>`. `tollgate plans push`
 * creates the meters under these names and the sender sends to them, so both derive them here.
 */
import { createHash } from 'node:crypto';

/** Tollgate's credit-overage meter key -> its Stripe meter's `event_name`. */
export const DEFAULT_METER_EVENT_NAMES: Readonly<Record<string, string>> = { overage: 'tollgate_overage' };

/** The outbox's key for an operation's meter (`store/meter-windows.ts` writes it). */
const OPERATION_PREFIX = 'operation:';
/** Stripe's limit on `event_name`. */
const maxLength = 100;

/**
 * @example operationEventName('api_call'); // 'tollgate_op_api_call'
 */
export function operationEventName(operation: string): string {
  const name = `tollgate_op_${operation}`;
  if (name.length <= maxLength) return name;
  // Long operation ids: a digest keeps the name deterministic, distinct and within the limit.
  const digest = createHash('sha256').update(operation).digest('hex').slice(0, 16);
  return `${name.slice(0, maxLength - 17)}_${digest}`;
}

/**
 * The event name of an outbox meter: `names` first (configured overrides), then the defaults; undefined
 * for a meter nobody maps.
 */
export function meterEventName(meter: string, names: Readonly<Record<string, string>>): string | undefined {
  const named = names[meter] ?? DEFAULT_METER_EVENT_NAMES[meter];
  if (named !== undefined) return named;
  return meter.startsWith(OPERATION_PREFIX)
    ? operationEventName(meter.slice(OPERATION_PREFIX.length))
    : undefined;
}
