"""One exception class per error code of Tollgate's registry (docs/errors.md).

Every answer that is not 2xx raises the class of its ``error`` code, carrying the body's details:
``QuotaExceeded.usage`` (and ``operation``/``window``/``limit``/``used``/``requested`` when an
operation limit refused), ``RateLimited.retry_after``, ``FeatureNotAvailable.feature``,
``InvalidRequest.issues``, ``upgrade_url`` and ``limit_source`` on every limit error, ``scope`` and
``key_id`` when a key's own limit refused (``QuotaExceeded.key_usage``). The whole body stays in ``body``,
so details a newer service adds are readable before this package names them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from . import _wire


@dataclass(frozen=True)
class Issue:
    """One problem of an invalid request: the field's path and what is wrong with it."""

    path: str
    message: str


@dataclass(frozen=True)
class QuotaUsage(_wire.Model):
    """Where the customer stood when the quota refused them (``usage`` of a quota_exceeded body)."""

    customer_id: str | None
    subscription_tier: str | None
    credits_used: Decimal | None
    monthly_limit: Decimal | None
    quota_remaining: Decimal | None
    usage_percentage: float | None
    raw: dict[str, Any]


@dataclass(frozen=True)
class KeyQuota(_wire.Model):
    """The calling key's credits when its own credit limit refused (``key_usage`` of the body)."""

    credits_used: Decimal
    credits_limit: Decimal
    requested: Decimal


class TollgateError(Exception):
    """An error answer of the service: ``status``, ``code`` (the body's ``error``), ``message``."""

    code: str = "error"

    def __init__(
        self,
        message: str,
        *,
        status: int = 0,
        code: str | None = None,
        body: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        text: str = "",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        if code is not None:
            self.code = code
        self.body: dict[str, Any] = dict(body or {})
        self.headers: dict[str, str] = _wire.headers_of(headers or {})
        # The body as the service sent it, byte for byte (what a proxy forwards).
        self.text = text

    def __str__(self) -> str:
        return f"{self.code} ({self.status}): {self.message}"

    def _retry_after_header(self) -> int | None:
        """The ``Retry-After`` header in seconds, when sent."""
        header = self.headers.get("retry-after", "")
        return int(header) if header.isdigit() else None


class TollgateConnectionError(TollgateError):
    """The service could not be reached (after the configured retries)."""

    code = "connection_error"


class InvalidRequest(TollgateError):
    code = "invalid_request"

    @property
    def issues(self) -> list[Issue]:
        found = self.body.get("issues")
        if not isinstance(found, list):
            return []
        return [
            Issue(path=str(item.get("path", "")), message=str(item.get("message", "")))
            for item in found
            if isinstance(item, dict)
        ]


class Unauthorized(TollgateError):
    code = "unauthorized"


class Forbidden(TollgateError):
    code = "forbidden"


class NotFound(TollgateError):
    code = "not_found"


class Conflict(TollgateError):
    code = "conflict"

    @property
    def event_id(self) -> str | None:
        """The usage event first recorded under a reused idempotency key."""
        return _wire.text(self.body.get("event_id"))


class PaymentFailed(TollgateError):
    code = "payment_failed"

    @property
    def decline_code(self) -> str | None:
        return _wire.text(self.body.get("decline_code"))


class PayloadTooLarge(TollgateError):
    code = "payload_too_large"

    @property
    def limit_bytes(self) -> int | None:
        """The service's body limit in bytes, when sent."""
        return _wire.integer(self.body.get("limit_bytes"))


class Unavailable(TollgateError):
    """The service cannot answer for now (a 503): retrying the same call later may succeed."""

    @property
    def retry_after(self) -> int | None:
        """Seconds to wait before retrying (``Retry-After``), when sent."""
        return self._retry_after_header()


class PaymentProviderUnavailable(Unavailable):
    """Stripe did not answer, failed or throttled; nothing was recorded."""

    code = "payment_provider_unavailable"

    @property
    def stripe_request_id(self) -> str | None:
        return _wire.text(self.body.get("stripe_request_id"))


class StoreUnavailable(Unavailable):
    """The database did not answer; nothing was acknowledged: retry with the same idempotency key."""

    code = "store_unavailable"


class LimitsUnavailable(Unavailable):
    """The shared rate and concurrency counters are out of reach and the service fails closed."""

    code = "limits_unavailable"


class InternalError(TollgateError):
    code = "internal"


class AccountSuspended(TollgateError):
    code = "account_suspended"

    @property
    def plan(self) -> str | None:
        return _wire.text(self.body.get("plan"))


class LimitError(TollgateError):
    """A plan limit refused the request: the customer may upgrade at ``upgrade_url``."""

    @property
    def upgrade_url(self) -> str | None:
        return _wire.text(self.body.get("upgrade_url"))

    @property
    def plan(self) -> str | None:
        """The customer's plan (``plan``, or ``current_tier`` on feature denials)."""
        return _wire.text(self.body.get("plan")) or _wire.text(self.body.get("current_tier"))

    @property
    def retry_after(self) -> int | None:
        """Seconds until the request may succeed: the body's ``retry_after``, else ``Retry-After``."""
        value = _wire.integer(self.body.get("retry_after"))
        return value if value is not None else self._retry_after_header()

    @property
    def limit_source(self) -> str | None:
        """Where the limit that refused comes from: ``plan``, or ``contract`` (an override of the
        customer's plan). None on ``account_suspended`` and from older services."""
        return _wire.text(self.body.get("limit_source"))

    @property
    def scope(self) -> str | None:
        """``key`` when the calling key's own limit refused (not the customer's); else None."""
        return _wire.text(self.body.get("scope"))

    @property
    def key_id(self) -> str | None:
        """With ``scope == "key"``: the key whose limit refused."""
        return _wire.text(self.body.get("key_id"))


class FeatureNotAvailable(LimitError):
    code = "feature_not_available"

    @property
    def feature(self) -> str | None:
        return _wire.text(self.body.get("feature"))

    @property
    def current_tier(self) -> str | None:
        return _wire.text(self.body.get("current_tier")) or _wire.text(self.body.get("plan"))


class QuotaExceeded(LimitError):
    code = "quota_exceeded"

    @property
    def usage(self) -> QuotaUsage | None:
        """The customer's figures, when the service sends them (``usage`` in the body)."""
        found = self.body.get("usage")
        return QuotaUsage.from_json(found) if isinstance(found, dict) else None

    @property
    def key_usage(self) -> KeyQuota | None:
        """The key's credits this period, its limit and this request's cost, when the key's own credit
        limit refused (``scope == "key"``)."""
        found = self.body.get("key_usage")
        return KeyQuota.from_json(found) if isinstance(found, dict) else None

    @property
    def operation(self) -> str | None:
        """The operation whose limit refused (None when the credit quota did)."""
        return _wire.text(self.body.get("operation"))

    @property
    def window(self) -> str | None:
        """The operation limit's window that refused: ``minute``, ``hour``, ``day`` or ``month``."""
        return _wire.text(self.body.get("window"))

    @property
    def limit(self) -> int | None:
        """The operation limit of ``window``, in units of the operation."""
        return _wire.integer(self.body.get("limit"))

    @property
    def used(self) -> int | None:
        """Units of the operation used in ``window`` when refused."""
        return _wire.integer(self.body.get("used"))

    @property
    def requested(self) -> int | None:
        """Units of the operation the refused request asked for."""
        return _wire.integer(self.body.get("requested"))


class RateLimited(LimitError):
    code = "rate_limited"

    @property
    def tier(self) -> str | None:
        return _wire.text(self.body.get("tier")) or self.plan

    @property
    def limit(self) -> int | None:
        """Requests allowed per ``window``, when the service sends it."""
        return _wire.integer(self.body.get("limit"))

    @property
    def window(self) -> str | None:
        """The window that refused: ``minute`` or ``day``, when the service sends it."""
        return _wire.text(self.body.get("window"))


class ConcurrencyLimited(LimitError):
    code = "concurrency_limited"


class StorageLimitExceeded(LimitError):
    code = "storage_limit_exceeded"

    def _figures(self, name: str) -> dict[str, Any] | None:
        found = self.body.get(name)
        return dict(found) if isinstance(found, dict) else None

    @property
    def current_usage(self) -> dict[str, Any] | None:
        """Storage now, ``{bytes, items}`` (``current_usage``), when sent."""
        return self._figures("current_usage")

    @property
    def requested(self) -> dict[str, Any] | None:
        """What the refused request would add, ``{bytes, items}``, when sent."""
        return self._figures("requested")

    @property
    def limits(self) -> dict[str, Any] | None:
        """The plan's storage limits, ``{bytes, items}`` (None = unlimited), when sent."""
        return self._figures("limits")


ERROR_CLASSES: dict[str, type[TollgateError]] = {
    cls.code: cls
    for cls in (
        InvalidRequest,
        Unauthorized,
        AccountSuspended,
        FeatureNotAvailable,
        Forbidden,
        NotFound,
        Conflict,
        PaymentFailed,
        QuotaExceeded,
        RateLimited,
        ConcurrencyLimited,
        StorageLimitExceeded,
        PaymentProviderUnavailable,
        PayloadTooLarge,
        StoreUnavailable,
        LimitsUnavailable,
        InternalError,
    )
}


def error_from_response(status: int, body: Any, headers: Mapping[str, str], text: str) -> TollgateError:
    """The exception for an error answer: the class of its code, else the base class."""
    data = _wire.obj(body)
    code = _wire.text(data.get("error")) or f"http_{status}"
    message = _wire.text(data.get("message")) or (text[:200] if text else f"HTTP {status}")
    cls = ERROR_CLASSES.get(code, TollgateError)
    return cls(message, status=status, code=code, body=data, headers=headers, text=text)
