"""Sending one call, with retries: on 503 and on connection failures, with exponential backoff and
jitter, never on 4xx or other statuses. A connection that failed before the request went out is
always retried; one that broke after sending is retried only for repeatable calls (reads, and
writes carrying an idempotency key), so a retry never does a thing twice.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from . import _wire
from ._calls import Call
from .errors import TollgateConnectionError, TollgateError, error_from_response

T = TypeVar("T")

USER_AGENT = "tollgate-python/0.1.0"


@dataclass(frozen=True)
class RetryPolicy:
    """``max_retries`` more attempts after the first; waits ``backoff`` x 2^n (half to full, random),
    at most ``max_backoff`` seconds, or the 503's ``Retry-After`` when shorter than that."""

    max_retries: int = 2
    backoff: float = 0.5
    max_backoff: float = 8.0

    def delay(self, attempt: int, retry_after: str | None = None) -> float:
        if retry_after is not None and retry_after.isdigit():
            return min(float(retry_after), self.max_backoff)
        full: float = min(self.backoff * 2.0**attempt, self.max_backoff)
        return full / 2 + random.uniform(0, full / 2)


def retryable_failure(error: httpx.TransportError, call: Call[Any]) -> bool:
    """Whether a transport failure may be retried for this call."""
    unsent = isinstance(error, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout))
    return unsent or call.repeatable


def build_request(client: httpx.Client | httpx.AsyncClient, call: Call[Any], api_key: str | None) -> httpx.Request:
    headers = {"Accept": "application/json", "User-Agent": USER_AGENT, **call.headers}
    if api_key is not None:
        headers["X-API-Key"] = api_key
    content = None
    if call.json is not None:
        # Written by _wire.dumps rather than httpx's json=, so Decimal credit figures stay exact.
        content = _wire.dumps(call.json).encode()
        headers["Content-Type"] = "application/json"
    return client.build_request(
        call.method,
        call.path,
        params=call.params or None,
        content=content,
        headers=headers,
    )


def connection_error(error: httpx.TransportError, attempts: int) -> TollgateConnectionError:
    tries = "attempt" if attempts == 1 else "attempts"
    return TollgateConnectionError(f"cannot reach Tollgate after {attempts} {tries}: {error!r}")


def read_response(call: Call[T], response: httpx.Response) -> T:
    """The parsed result of a 2xx answer; raises the error class of any other."""
    text = response.text
    try:
        body = _wire.loads(text) if text else None
    except ValueError:
        body = None
    headers = _wire.headers_of(response.headers)
    if response.status_code >= 400:
        raise error_from_response(response.status_code, body, response.headers, text)
    if body is None and text:
        raise TollgateError(f"expected JSON, got: {text[:200]}", status=response.status_code, code="bad_response")
    return call.parse(body, headers)
