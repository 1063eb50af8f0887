"""A small client for Tollgate's service mode, standard library only (urllib.request, json).

Your app calls Tollgate once per operation its users perform:

    client = TollgateClient("http://localhost:3000", api_key)
    client.record("search")                  # debit 0.1 credit, or raise TollgateError
    client.check("reflect", quantity=5)      # would it be allowed? counts nothing
    client.usage()                           # credits used and left this period

Credit figures are JSON numbers with at most 3 decimals (exact), so they compare as numbers:
`client.usage()["quota_remaining"] < 100`. `None` means unlimited.

Every refusal raises TollgateError carrying the documented error code (quota_exceeded,
rate_limited, unauthorized, ...), the message (with the figures: "Monthly quota exceeded. Used
100/100 credits."), the HTTP status, Retry-After and the body's details (`error.usage` on a
quota_exceeded). `record` sends an
idempotency key (a fresh UUID unless you give one), so retrying a call that timed out is safe: Tollgate
answers a retry with the first answer and counts the usage once.
"""

import json
import os
import time
import urllib.error
import urllib.request
import uuid

__all__ = ["TollgateClient", "TollgateError", "client_from_env"]


class TollgateError(Exception):
    """A refusal or failure, as Tollgate's error envelope describes it."""

    def __init__(self, status, error, message, retry_after=None, body=None):
        super().__init__(f"{error} ({status}): {message}")
        self.status = status
        self.error = error
        self.message = message
        # Seconds to wait before retrying (429 answers), from the Retry-After header.
        self.retry_after = retry_after
        self.body = body or {}

    @property
    def upgrade_url(self):
        return self.body.get("upgrade_url")

    @property
    def usage(self):
        """quota_exceeded: the period's figures (customer_id, subscription_tier, credits_used,
        monthly_limit, quota_remaining, usage_percentage); None on other errors."""
        return self.body.get("usage")


class TollgateClient:
    def __init__(self, base_url, api_key, timeout=10.0, max_retries=0, max_retry_wait=5.0):
        """
        max_retries: how many times a 429 is retried after waiting Retry-After seconds. Default 0:
            the caller decides (a quota refusal lasts until the period ends; waiting makes no sense).
        max_retry_wait: a Retry-After longer than this is never waited for; the error is raised.
        """
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout
        self.max_retries = max_retries
        self.max_retry_wait = max_retry_wait

    def record(self, operation, quantity=1, idempotency_key=None, timestamp=None):
        """Records usage: debits operation x quantity. Returns the figures after the debit."""
        body = {
            "operation": operation,
            "quantity": quantity,
            # The same key on every retry of this call: Tollgate counts the usage once.
            "idempotency_key": idempotency_key or str(uuid.uuid4()),
        }
        if timestamp is not None:
            body["timestamp"] = timestamp
        return self._request("POST", "/api/v1/usage/record", body)

    def check(self, operation, quantity=1):
        """Would operation x quantity be allowed now? Returns {allowed, reason, ...}; counts nothing."""
        return self._request("POST", "/api/v1/usage/check", {"operation": operation, "quantity": quantity})

    def usage(self):
        """This period's figures: credits_used, monthly_limit, quota_remaining, windows, status."""
        return self._request("GET", "/api/v1/usage")

    def _request(self, method, path, body=None):
        attempt = 0
        while True:
            try:
                return self._send(method, path, body)
            except TollgateError as error:
                wait = error.retry_after
                retryable = error.status == 429 and wait is not None and wait <= self.max_retry_wait
                if not retryable or attempt >= self.max_retries:
                    raise
                attempt += 1
                time.sleep(wait)

    def _send(self, method, path, body):
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        request.add_header("X-API-Key", self.api_key)
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as failure:
            raise _error_from(failure) from None
        except urllib.error.URLError as failure:
            raise TollgateError(0, "unreachable", f"cannot reach Tollgate: {failure.reason}") from None


def _error_from(failure):
    raw = failure.read().decode("utf-8", errors="replace")
    try:
        body = json.loads(raw)
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    retry_after = failure.headers.get("Retry-After")
    return TollgateError(
        status=failure.code,
        error=body.get("error", "http_error"),
        message=body.get("message", raw[:200] or failure.reason),
        retry_after=int(retry_after) if retry_after and retry_after.isdigit() else None,
        body=body,
    )


def client_from_env():
    """A client for TOLLGATE_URL (default http://localhost:3000) with TOLLGATE_API_KEY, or None
    when the key is not set."""
    key = os.environ.get("TOLLGATE_API_KEY")
    if not key:
        return None
    return TollgateClient(os.environ.get("TOLLGATE_URL", "http://localhost:3000"), key)
