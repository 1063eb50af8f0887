/**
 * The billing page's credential. The page is opened by a one-time link (`/billing?token=tgl_...`):
 * the token is exchanged once for a session, which is kept in sessionStorage (this tab only, gone when
 * it closes) together with how the page looks, and the token is taken out of the address bar so it is
 * neither bookmarked nor shared. A reload uses the stored session. No API key ever reaches the page.
 */
import { ApiClient, ApiError } from '../lib/api';

export interface BillingTheme {
  accent?: string;
  background?: string;
  text?: string;
}

export interface BillingSession {
  token: string;
  /** Epoch ms. */
  expiresAt: number;
  customerId: string;
  /** Where "Back to <app>" goes; only http(s) URLs are kept. */
  returnUrl: string | null;
  embed: boolean;
  theme: BillingTheme;
}

export type SessionOutcome =
  | { kind: 'ready'; session: BillingSession }
  /** No usable credential: a used or expired link, an expired session, or no link at all. */
  | {
      kind: 'ended';
      returnUrl: string | null;
      embed: boolean;
      theme: BillingTheme;
      reason: string;
      /** The link may still be good (the API could not be reached): a reload tries it again. */
      retryable: boolean;
      /** Opened without any link (e.g. a bookmark or an upgrade link), rather than with a spent one. */
      noLink?: boolean;
      /** Sent back by Stripe Checkout after paying (`?checkout=success`), without a billing session here. */
      checkoutPaid?: boolean;
    };

const storageKey = 'tollgate.billing.session';
/** The link's own parameters, removed from the address bar once read. */
const linkParameters = ['token', 'embed', 'accent', 'background', 'text'];

const hexColour = /^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/;

/** A theme colour is used only when it is a plain hex colour: nothing else reaches the CSS. */
export function validColour(value: unknown): string | undefined {
  return typeof value === 'string' && hexColour.test(value) ? value : undefined;
}

export function validReturnUrl(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null;
  } catch {
    return null;
  }
}

function themeFrom(source: { accent?: unknown; background?: unknown; text?: unknown } | null | undefined) {
  const theme: BillingTheme = {};
  const accent = validColour(source?.accent);
  const background = validColour(source?.background);
  const text = validColour(source?.text);
  if (accent) theme.accent = accent;
  if (background) theme.background = background;
  if (text) theme.text = text;
  return theme;
}

/** The look asked for in the address bar, used when the session does not say (or the link failed). */
function displayFromQuery(params: URLSearchParams): { embed: boolean; theme: BillingTheme } {
  return {
    embed: params.get('embed') === '1',
    theme: themeFrom({
      accent: params.get('accent'),
      background: params.get('background'),
      text: params.get('text'),
    }),
  };
}

export function readStoredSession(now = Date.now()): BillingSession | null {
  let text: string | null = null;
  try {
    text = sessionStorage.getItem(storageKey);
  } catch {
    return null;
  }
  if (text === null) return null;
  try {
    const value = JSON.parse(text) as Partial<BillingSession>;
    if (typeof value.token !== 'string' || typeof value.expiresAt !== 'number') return null;
    if (value.expiresAt <= now) return null;
    return {
      token: value.token,
      expiresAt: value.expiresAt,
      customerId: typeof value.customerId === 'string' ? value.customerId : '',
      returnUrl: validReturnUrl(value.returnUrl),
      embed: value.embed === true,
      theme: themeFrom(value.theme),
    };
  } catch {
    return null;
  }
}

function storeSession(session: BillingSession): void {
  try {
    sessionStorage.setItem(storageKey, JSON.stringify(session));
  } catch {
    // Storage refused (private mode, a sandboxed frame): the page still works until it is reloaded.
  }
}

export function clearStoredSession(): void {
  try {
    sessionStorage.removeItem(storageKey);
  } catch {
    // Nothing stored, nothing to clear.
  }
}

/** The session the stored one was, kept for the "expired" page's return link and look. */
function endedFrom(session: BillingSession | null, fallback: { embed: boolean; theme: BillingTheme }) {
  return {
    returnUrl: session?.returnUrl ?? null,
    embed: session?.embed ?? fallback.embed,
    theme: session ? session.theme : fallback.theme,
  };
}

interface SessionResponse {
  session_token: string;
  expires_at: string;
  customer_id: string;
  return_url: string | null;
  embed: boolean;
  theme: { accent?: string; background?: string; text?: string } | null;
}

function removeLinkParameters(url: URL): void {
  for (const name of linkParameters) url.searchParams.delete(name);
  history.replaceState(history.state, '', url.pathname + url.search + url.hash);
}

/**
 * Opens the page's session: exchanges the link's token when the address has one (a used or expired
 * link ends the stored session too, so the page never shows someone else's billing under a new link),
 * else uses the stored session.
 */
export async function openSession(location: Location = window.location): Promise<SessionOutcome> {
  const url = new URL(location.href);
  const token = url.searchParams.get('token');
  const asked = displayFromQuery(url.searchParams);
  if (token === null) {
    const stored = readStoredSession();
    if (stored) return { kind: 'ready', session: stored };
    const previous = readStoredSession(0);
    clearStoredSession();
    // Checkout started outside the page (the API, a script) comes back here: the payment went through,
    // even though this browser has no billing session to show the plan with.
    const checkoutPaid = url.searchParams.get('checkout') === 'success';
    return {
      kind: 'ended',
      ...endedFrom(previous, asked),
      reason: checkoutPaid
        ? 'Your payment went through. The new plan starts as soon as Stripe confirms it, usually within seconds.'
        : previous
          ? 'This billing session has expired.'
          : 'This page needs a billing link.',
      retryable: false,
      noLink: previous === null,
      checkoutPaid,
    };
  }
  const client = new ApiClient(() => null);
  try {
    const answer = await client.post<SessionResponse>('/api/v1/billing/dashboard-session', { token });
    const fromSession = themeFrom(answer.theme);
    const session: BillingSession = {
      token: answer.session_token,
      expiresAt: Date.parse(answer.expires_at),
      customerId: answer.customer_id,
      returnUrl: validReturnUrl(answer.return_url),
      embed: answer.embed === true || asked.embed,
      theme: Object.keys(fromSession).length > 0 ? fromSession : asked.theme,
    };
    storeSession(session);
    removeLinkParameters(url);
    return { kind: 'ready', session };
  } catch (error) {
    clearStoredSession();
    if (error instanceof ApiError && (error.status === 401 || error.status === 400)) {
      removeLinkParameters(url);
      return {
        kind: 'ended',
        ...endedFrom(null, asked),
        // The heading already says what happened: this says why links behave so.
        reason: 'Each link opens the billing page once, for a short time, so that nobody else can use it.',
        retryable: false,
      };
    }
    // Not the link's fault (the API is unreachable or failing): the link stays, so a reload retries.
    return {
      kind: 'ended',
      ...endedFrom(null, asked),
      reason: error instanceof ApiError ? error.message : 'The billing link could not be opened.',
      retryable: true,
    };
  }
}

/** A client that calls the API as this session and reports a 401 (expired or revoked session). */
export function sessionClient(session: BillingSession, onEnded: () => void): ApiClient {
  return new ApiClient(
    () => ({ kind: 'bearer', token: session.token }),
    () => {
      clearStoredSession();
      onEnded();
    },
  );
}
