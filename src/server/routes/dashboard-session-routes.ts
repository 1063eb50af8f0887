/**
 * One-time dashboard links and billing sessions, so an app never hands its API key to a browser.
 * The app's server asks for a link with its customer key and sends the person to it; the billing page
 * exchanges the link's token once for a billing session (`tgs_...`), a bearer token accepted only by
 * the customer's usage and billing routes (those declared `sessions: true`) for an hour.
 */
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { DashboardSessions } from '../../core/billing/dashboard-sessions.js';
import { TollgateError } from '../../core/errors.js';
import type { DashboardTheme } from '../../core/ports.js';
import type { ApiRouter } from '../api-router.js';
import { isoTime, isoTimeSchema } from '../wire-format.js';

export interface DashboardSessionRouteOptions {
  /** Public origin of the service (PUBLIC_URL), for the link; default the request's own origin. */
  publicUrl?: string | null;
}

const colourSchema = z
  .string()
  .regex(/^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/, 'expected a colour as #rgb or #rrggbb')
  .describe('A colour, #rgb or #rrggbb');
const themeSchema = z
  .strictObject({
    accent: colourSchema.optional(),
    background: colourSchema.optional(),
    text: colourSchema.optional(),
  })
  .describe("The billing page's colours");

const linkBody = z.strictObject({
  return_url: z
    .url({ protocol: /^https?$/, error: 'expected an http(s) URL' })
    .max(2000)
    .optional()
    .describe('Where the page sends the person back to (a "Back to the app" link)'),
  embed: z.boolean().optional().describe('The page is shown inside the app (an iframe): no page chrome'),
  theme: themeSchema.optional(),
});

const themeKeys = ['accent', 'background', 'text'] as const;

/** The theme as given, or null when it sets no colour. */
function themeOf(theme: DashboardTheme | undefined): DashboardTheme | null {
  const set = themeKeys.filter((key) => theme?.[key] !== undefined);
  return set.length === 0 ? null : Object.fromEntries(set.map((key) => [key, theme?.[key]]));
}

/** `https://billing.example.com` from PUBLIC_URL, else from the request (protocol and Host header). */
function publicBase(request: FastifyRequest, publicUrl: string | null | undefined): string {
  if (publicUrl) return publicUrl.replace(/\/+$/, '');
  return `${request.protocol}://${request.host}`;
}

export function registerDashboardSessionRoutes(
  router: ApiRouter,
  sessions: DashboardSessions,
  options: DashboardSessionRouteOptions = {},
): void {
  router.route({
    method: 'POST',
    url: '/api/v1/billing/dashboard-link',
    access: 'customer',
    tag: 'billing',
    summary: "A one-time link to the customer's billing page",
    description:
      'Call it from your server with the customer key and send the person to `url`. The link works once, ' +
      'within `expires_at` (10 minutes); the page then holds a billing session of its own. A billing ' +
      'session cannot ask for a link (403).',
    body: linkBody,
    response: {
      status: 201,
      description: 'The link',
      schema: z.object({
        url: z.string().describe('`<public url>/billing?token=tgl_...`, with `embed` and colours when given'),
        expires_at: isoTimeSchema,
      }),
    },
    async handler({ caller, body, request }) {
      const theme = themeOf(body.theme);
      const link = await sessions.createLink(
        caller.customerId,
        caller.kind === 'customer' ? caller.keyId : null,
        {
          returnUrl: body.return_url ?? null,
          display: { embed: body.embed === true, theme },
        },
      );
      const query = new URLSearchParams({ token: link.token });
      if (body.embed === true) query.set('embed', '1');
      for (const key of themeKeys) {
        const colour = theme?.[key];
        if (colour !== undefined) query.set(key, colour);
      }
      return {
        url: `${publicBase(request, options.publicUrl)}/billing?${query.toString()}`,
        expires_at: isoTime(link.record.expiresAt),
      };
    },
  });

  router.route({
    method: 'POST',
    url: '/api/v1/billing/dashboard-session',
    access: 'public',
    tag: 'billing',
    summary: 'Exchange a dashboard link for a billing session',
    description:
      'The billing page calls this with the `token` of its link. Once only: a used, expired or unknown ' +
      'token answers 401. The session token then authenticates the routes marked `x-billing-session` ' +
      '(`Authorization: Bearer tgs_...`) for 60 minutes.',
    body: z.strictObject({ token: z.string().min(1).max(200).describe('The `token` of the link (tgl_...)') }),
    errors: ['unauthorized'],
    response: {
      status: 201,
      description: 'The billing session',
      schema: z.object({
        session_token: z.string().describe('tgs_...; send as `Authorization: Bearer <session_token>`'),
        expires_at: isoTimeSchema,
        customer_id: z.string(),
        return_url: z.string().nullable(),
        embed: z.boolean(),
        theme: z
          .object({
            accent: z.string().optional(),
            background: z.string().optional(),
            text: z.string().optional(),
          })
          .nullable(),
      }),
    },
    async handler({ body }) {
      const session = await sessions.exchange(body.token);
      if (!session)
        throw new TollgateError(
          'unauthorized',
          'This billing link is invalid, expired or already used. Open billing again from the app.',
        );
      const { record } = session;
      return {
        session_token: session.token,
        expires_at: isoTime(record.expiresAt),
        customer_id: record.customerId,
        return_url: record.returnUrl,
        embed: record.display.embed,
        theme: record.display.theme,
      };
    },
  });
}
