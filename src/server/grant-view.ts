/**
 * Grants on the wire: the admin body that makes one (credits as a JSON number of credits, read exactly
 * into milli-credits; or an operation and a quantity of its units), and a grant with what is used and
 * left, as the admin API and the usage answer show it.
 */
import { z } from 'zod';
import { scaleDecimal } from '../core/catalog/scale-decimal.js';
import type { GrantInput } from '../core/contract/customer-grants.js';
import type { GrantStanding } from '../core/contract/grants.js';
import { MAX_MILLI_CREDITS } from '../core/credits.js';
import { invalidRequest } from '../core/errors.js';
import type { Tollgate } from '../core/tollgate.js';
import { credits, isoTime, isoTimeSchema } from './wire-format.js';

export const grantBodySchema = z.strictObject({
  credits: z
    .number()
    .positive()
    .optional()
    .describe('Credits granted (at most 3 decimals); or give operation and quantity'),
  operation: z
    .string()
    .min(1)
    .max(100)
    .optional()
    .describe("An operation the customer's plan limits per month"),
  quantity: z.number().int().positive().optional().describe('Units of the operation granted'),
  expires: z
    .enum(['period', 'until_used'])
    .describe('period: until the current credit period ends; until_used: carried over until spent'),
  expires_at: z.iso
    .datetime({ offset: true })
    .optional()
    .describe('until_used only: no longer usable after the credit period this time falls in'),
  idempotency_key: z.string().min(1).max(200).describe('A retry with the same key returns the first grant'),
  reason: z.string().min(1).max(500).optional(),
});

/** The engine's input from a parsed body (credits read exactly; exactly one of credits or operation). */
export function grantInput(body: z.infer<typeof grantBodySchema>): GrantInput {
  const base = {
    expires: body.expires,
    expiresAt: body.expires_at === undefined ? null : Date.parse(body.expires_at),
    idempotencyKey: body.idempotency_key,
    reason: body.reason ?? null,
  };
  if (body.credits !== undefined) {
    if (body.operation !== undefined || body.quantity !== undefined) {
      throw invalidRequest([
        { path: 'credits', message: 'give credits, or operation and quantity, not both' },
      ]);
    }
    const scaled = scaleDecimal(body.credits, 3);
    if (!scaled.ok || scaled.value > BigInt(MAX_MILLI_CREDITS)) {
      throw invalidRequest([{ path: 'credits', message: 'expected credits with at most 3 decimals' }]);
    }
    return { ...base, amount: Number(scaled.value) };
  }
  if (body.operation === undefined || body.quantity === undefined) {
    throw invalidRequest([
      body.operation === undefined
        ? { path: 'credits', message: 'give credits, or operation and quantity' }
        : { path: 'quantity', message: 'required with operation' },
    ]);
  }
  return { ...base, operation: body.operation, amount: body.quantity };
}

export const grantSchema = z.object({
  id: z.string(),
  kind: z.enum(['credits', 'operation']),
  operation: z.string().nullable().describe('The operation whose units are granted; null for credits'),
  amount: z.number().describe('Granted: credits, or units of the operation'),
  used: z.number().describe('Spent so far (grants are spent before the plan quota)'),
  remaining: z.number().describe('Left to spend now; 0 once expired, revoked or used up'),
  status: z.enum(['active', 'used', 'expired', 'revoked']),
  expires: z.enum(['period', 'until_used']),
  expires_at: isoTimeSchema
    .nullable()
    .describe('Period grants: the period end; until_used: the date given, if any'),
  reason: z.string().nullable(),
  created_at: isoTimeSchema,
  created_by: z.string().nullable(),
  revoked_at: isoTimeSchema.nullable(),
});

export type GrantBody = z.infer<typeof grantSchema>;

export function grantView({ grant, used, remaining, status }: GrantStanding): GrantBody {
  const figure = (value: number) => (grant.operation === null ? credits(value) : value);
  return {
    id: grant.id,
    kind: grant.operation === null ? 'credits' : 'operation',
    operation: grant.operation,
    amount: figure(grant.amount),
    used: figure(used),
    remaining: figure(remaining),
    status,
    expires: grant.expires,
    expires_at: isoTime(grant.expiresAt),
    reason: grant.reason,
    created_at: isoTime(grant.createdAt),
    created_by: grant.createdBy,
    revoked_at: isoTime(grant.revokedAt),
  };
}

/** The audit row of a grant made or revoked: who, which grant, and the grant before and after. */
export async function auditGrant(
  tollgate: Pick<Tollgate, 'store' | 'clock'>,
  actor: string,
  action: 'grant.created' | 'grant.revoked',
  customerId: string,
  before: GrantBody | null,
  after: GrantBody,
): Promise<void> {
  await tollgate.store.appendAudit({
    at: tollgate.clock.now(),
    actor,
    action,
    customerId,
    details: { grantId: after.id, before, after },
  });
}
