/**
 * The answers every adapter must give to a denied request, recorded once for the contract suite:
 * status, Tollgate's headers and the exact body, for the test catalog's free plan at `contractStart`.
 * Three frameworks compared to one recording cannot drift apart unnoticed.
 */

/** The contract's manual clock starts here: midnight, the first minute of a 31-day month. */
export const contractStart = Date.UTC(2026, 0, 1);
const minuteReset = String(Math.ceil((contractStart + 60_000) / 1000));
const policy = '"minute";q=10;w=60, "day";q=100;w=86400';
const upgradeUrl = 'https://example.test/upgrade';
const json = 'application/json; charset=utf-8';

/** Untouched limits of the free test plan, as the headers state them. */
export const freshFreeHeaders = {
  'x-tier': 'free',
  'x-ratelimit-limit-minute': '10',
  'x-ratelimit-remaining-minute': '10',
  'x-ratelimit-limit-day': '100',
  'x-ratelimit-remaining-day': '100',
  'x-ratelimit-reset': minuteReset,
  'ratelimit-policy': policy,
  ratelimit: '"minute";r=10;t=60, "day";r=100;t=86400',
  'x-credits-used': '0',
  'x-credits-remaining': '100',
  'x-credits-total': '0',
};

/** A denial as the wire carries it: the content length follows from the body. */
function denial<Body extends Record<string, unknown>>(
  status: number,
  headers: Record<string, string>,
  body: Body,
): { status: number; headers: Record<string, string>; body: Body } {
  const length = String(Buffer.byteLength(JSON.stringify(body)));
  return { status, headers: { ...headers, 'content-type': json, 'content-length': length }, body };
}

/**
 * The answers every adapter must give, recorded once: status, Tollgate's headers and the exact body.
 * Headers a framework adds on its own (date, etag, x-powered-by) and the measured duration are left out.
 */
export const expectedDenials = {
  unauthorized: denial(401, {}, { error: 'unauthorized', message: 'A valid API key is required.' }),
  forbidden: denial(403, {}, { error: 'forbidden', message: 'This endpoint needs a customer key.' }),
  invalid_request: denial(
    400,
    {},
    {
      error: 'invalid_request',
      message: 'quantity: expected a positive integer',
      issues: [{ path: 'quantity', message: 'expected a positive integer' }],
    },
  ),
  feature_not_available: denial(403, freshFreeHeaders, {
    error: 'feature_not_available',
    message: "Feature 'federation' is not available on the free plan.",
    upgrade_url: upgradeUrl,
    plan: 'free',
    feature: 'federation',
    current_tier: 'free',
    limit_source: 'plan',
  }),
  account_suspended: denial(403, freshFreeHeaders, {
    error: 'account_suspended',
    message: 'This account is suspended because a payment failed.',
    upgrade_url: upgradeUrl,
    plan: 'free',
  }),
  rate_limited: denial(
    429,
    {
      ...freshFreeHeaders,
      'x-ratelimit-remaining-minute': '0',
      'x-ratelimit-remaining-day': '90',
      ratelimit: '"minute";r=0;t=60, "day";r=90;t=86400',
      'x-credits-remaining': '90',
      'x-credits-total': '10',
      'retry-after': '60',
    },
    {
      error: 'rate_limited',
      message: 'Rate limit exceeded (10 requests per minute).',
      upgrade_url: upgradeUrl,
      retry_after: 60,
      plan: 'free',
      tier: 'free',
      limit: 10,
      window: 'minute',
      limit_source: 'plan',
    },
  ),
  /** 101 credits asked of the free plan's untouched 100; the body names the customer. */
  quota_exceeded: (customerId: string) =>
    denial(
      429,
      {
        // A denied request counts nothing: the windows are as fresh as before it.
        ...freshFreeHeaders,
        // January has 31 days: the free plan's calendar-month quota resets on February 1.
        'retry-after': '2678400',
      },
      {
        error: 'quota_exceeded',
        message: 'Monthly quota exceeded. Used 0/100 credits. This request needs 101.',
        upgrade_url: upgradeUrl,
        retry_after: 2_678_400,
        plan: 'free',
        usage: {
          customer_id: customerId,
          subscription_tier: 'free',
          credits_used: 0,
          monthly_limit: 100,
          quota_remaining: 100,
          usage_percentage: 0,
        },
        limit_source: 'plan',
      },
    ),
  /** The third request while two `search` requests (0.1 credit each) still run. */
  concurrency_limited: denial(
    429,
    {
      ...freshFreeHeaders,
      // Two running requests hold two hits; the denied third one's hit was taken back.
      'x-ratelimit-remaining-minute': '8',
      'x-ratelimit-remaining-day': '98',
      ratelimit: '"minute";r=8;t=60, "day";r=98;t=86400',
      'x-credits-remaining': '99.8',
      'x-credits-total': '0.2',
      'retry-after': '1',
    },
    {
      error: 'concurrency_limited',
      message: 'Too many requests at once (2 at a time on the free plan).',
      upgrade_url: upgradeUrl,
      retry_after: 1,
      plan: 'free',
      tier: 'free',
      limit: 2,
      limit_source: 'plan',
    },
  ),
  storage_limit_exceeded: denial(
    507,
    {
      // A denied request counts nothing: the windows are as fresh as before it.
      ...freshFreeHeaders,
    },
    {
      error: 'storage_limit_exceeded',
      message: 'Storage limit exceeded (this request would store 1001 of 1000 bytes).',
      upgrade_url: upgradeUrl,
      plan: 'free',
      current_usage: { bytes: 1000, items: 0 },
      requested: { bytes: 1, items: 0 },
      limits: { bytes: 1000, items: null },
      tier: 'free',
      limit_source: 'plan',
    },
  ),
};
