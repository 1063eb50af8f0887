"""Typed results of the service API. Credits are ``Decimal``, money integer minor units, times aware
``datetime``. Each result keeps the whole body in ``raw``, so fields a newer service adds (such as
the ``operations`` block of ``/usage``) are readable before this package names them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from . import _wire
from ._wire import JsonObject


@dataclass(frozen=True)
class Limits:
    """A plan's limits; None means unlimited."""

    credits_per_month: Decimal | None
    requests_per_minute: int | None
    requests_per_day: int | None
    concurrent_requests: int | None
    storage_bytes: int | None
    storage_items: int | None

    @classmethod
    def from_json(cls, data: Any) -> Limits:
        body = _wire.obj(data)
        return cls(
            credits_per_month=_wire.credit_limit(body.get("credits_per_month")),
            requests_per_minute=_wire.integer(body.get("requests_per_minute")),
            requests_per_day=_wire.integer(body.get("requests_per_day")),
            concurrent_requests=_wire.integer(body.get("concurrent_requests")),
            storage_bytes=_wire.integer(body.get("storage_bytes")),
            storage_items=_wire.integer(body.get("storage_items")),
        )


@dataclass(frozen=True)
class Plans:
    """The public catalog (``GET /api/v1/plans``): plan ids and operation costs; the rest in ``raw``."""

    currency: str
    plan_ids: list[str]
    operations: dict[str, Decimal]
    raw: JsonObject = field(repr=False)

    @classmethod
    def from_json(cls, data: Any) -> Plans:
        body = _wire.obj(data)
        return cls(
            currency=str(body.get("currency", "")),
            plan_ids=[str(_wire.obj(p).get("id")) for p in body.get("plans", [])],
            operations={
                str(_wire.obj(o).get("id")): _wire.credits(_wire.obj(o).get("credits", 0))
                for o in body.get("operations", [])
            },
            raw=body,
        )


@dataclass(frozen=True)
class Usage:
    """``GET /api/v1/usage``: credits this period, request windows, storage, account status."""

    customer_id: str
    subscription_tier: str
    credits_used: Decimal
    monthly_limit: Decimal | None
    quota_remaining: Decimal | None
    usage_percentage: float | None
    quota_exceeded: bool
    overage_used: Decimal
    period_start: datetime
    period_end: datetime
    status: str
    in_trial: bool
    trial_end_date: datetime | None
    grace_period_end: datetime | None
    requests_this_minute: int | None
    requests_per_minute_limit: int | None
    requests_today: int | None
    requests_per_day_limit: int | None
    concurrent_requests_limit: int | None
    storage_bytes: int
    storage_bytes_limit: int | None
    storage_items: int
    storage_items_limit: int | None
    raw: JsonObject = field(repr=False)

    @property
    def operations(self) -> dict[str, Any]:
        """Per-operation windows (``operations`` block), when the service sends them; else empty."""
        return _wire.obj(self.raw.get("operations"))

    @classmethod
    def from_json(cls, data: Any) -> Usage:
        body = _wire.obj(data)
        return cls(
            customer_id=str(body.get("customer_id", "")),
            subscription_tier=str(body.get("subscription_tier", "")),
            credits_used=_wire.credits(body.get("credits_used", 0)),
            monthly_limit=_wire.credit_limit(body.get("monthly_limit")),
            quota_remaining=_wire.credit_limit(body.get("quota_remaining")),
            usage_percentage=_wire.number(body.get("usage_percentage")),
            quota_exceeded=bool(body.get("quota_exceeded")),
            overage_used=_wire.credits(body.get("overage_used", 0)),
            period_start=_wire.required_time(body.get("period_start")),
            period_end=_wire.required_time(body.get("period_end")),
            status=str(body.get("status", "")),
            in_trial=bool(body.get("in_trial")),
            trial_end_date=_wire.time(body.get("trial_end_date")),
            grace_period_end=_wire.time(body.get("grace_period_end")),
            requests_this_minute=_wire.integer(body.get("requests_this_minute")),
            requests_per_minute_limit=_wire.integer(body.get("requests_per_minute_limit")),
            requests_today=_wire.integer(body.get("requests_today")),
            requests_per_day_limit=_wire.integer(body.get("requests_per_day_limit")),
            concurrent_requests_limit=_wire.integer(body.get("concurrent_requests_limit")),
            storage_bytes=_wire.integer(body.get("storage_bytes")) or 0,
            storage_bytes_limit=_wire.integer(body.get("storage_bytes_limit")),
            storage_items=_wire.integer(body.get("storage_items")) or 0,
            storage_items_limit=_wire.integer(body.get("storage_items_limit")),
            raw=body,
        )


@dataclass(frozen=True)
class Entitlements:
    """``GET /api/v1/entitlements``: the plan's features, limits and operation costs."""

    customer_id: str
    subscription_tier: str
    plan_name: str
    status: str
    serviceable: bool
    features: dict[str, bool]
    limits: Limits
    operations: dict[str, Decimal]
    raw: JsonObject = field(repr=False)

    @classmethod
    def from_json(cls, data: Any) -> Entitlements:
        body = _wire.obj(data)
        return cls(
            customer_id=str(body.get("customer_id", "")),
            subscription_tier=str(body.get("subscription_tier", "")),
            plan_name=str(body.get("plan_name", "")),
            status=str(body.get("status", "")),
            serviceable=bool(body.get("serviceable")),
            features={k: bool(v) for k, v in _wire.obj(body.get("features")).items()},
            limits=Limits.from_json(body.get("limits")),
            operations=_wire.credit_map(body.get("operations")),
            raw=body,
        )


@dataclass(frozen=True)
class Decision:
    """The figures of a usage check or record, plus the decision headers the service sent."""

    subscription_tier: str
    operation: str
    quantity: int
    cost: Decimal
    credits_used: Decimal
    monthly_limit: Decimal | None
    quota_remaining: Decimal | None
    period_end: datetime
    requests_remaining_minute: int | None
    requests_per_minute_limit: int | None
    requests_remaining_day: int | None
    requests_per_day_limit: int | None
    headers: dict[str, str]
    raw: JsonObject = field(repr=False)

    @staticmethod
    def _figures(body: JsonObject) -> dict[str, Any]:
        return {
            "subscription_tier": str(body.get("subscription_tier", "")),
            "operation": str(body.get("operation", "")),
            "quantity": _wire.integer(body.get("quantity")) or 0,
            "cost": _wire.credits(body.get("cost", 0)),
            "credits_used": _wire.credits(body.get("credits_used", 0)),
            "monthly_limit": _wire.credit_limit(body.get("monthly_limit")),
            "quota_remaining": _wire.credit_limit(body.get("quota_remaining")),
            "period_end": _wire.required_time(body.get("period_end")),
            "requests_remaining_minute": _wire.integer(body.get("requests_remaining_minute")),
            "requests_per_minute_limit": _wire.integer(body.get("requests_per_minute_limit")),
            "requests_remaining_day": _wire.integer(body.get("requests_remaining_day")),
            "requests_per_day_limit": _wire.integer(body.get("requests_per_day_limit")),
        }


@dataclass(frozen=True)
class CheckResult(Decision):
    """``POST /api/v1/usage/check``: would it be allowed? ``reason`` is the code a record would get."""

    allowed: bool = False
    reason: str | None = None
    message: str | None = None
    retry_after: int | None = None
    upgrade_url: str | None = None

    @classmethod
    def from_json(cls, data: Any, headers: dict[str, str]) -> CheckResult:
        body = _wire.obj(data)
        return cls(
            **cls._figures(body),
            headers=headers,
            raw=body,
            allowed=bool(body.get("allowed")),
            reason=_wire.text(body.get("reason")),
            message=_wire.text(body.get("message")),
            retry_after=_wire.integer(body.get("retry_after")),
            upgrade_url=_wire.text(body.get("upgrade_url")),
        )


@dataclass(frozen=True)
class RecordResult(Decision):
    """``POST /api/v1/usage/record`` (one event): the debit; ``replayed`` when the key was seen before."""

    event_id: str | None = None
    idempotency_key: str = ""
    replayed: bool = False

    @classmethod
    def from_json(cls, data: Any, headers: dict[str, str], idempotency_key: str) -> RecordResult:
        body = _wire.obj(data)
        return cls(
            **cls._figures(body),
            headers=headers,
            raw=body,
            event_id=_wire.text(body.get("event_id")),
            idempotency_key=idempotency_key,
            replayed=headers.get("idempotent-replayed") == "true",
        )


BatchStatus = Literal["recorded", "duplicate", "denied", "conflict", "invalid"]


@dataclass(frozen=True)
class BatchEventResult:
    """One event of a batch: ``error`` is the error body for denied, conflict and invalid events."""

    index: int
    status: str
    event_id: str | None
    error: JsonObject | None


@dataclass(frozen=True)
class BatchResult:
    """``POST /api/v1/usage/record`` with ``events``: a result per event, in order, and counts."""

    results: list[BatchEventResult]
    summary: dict[str, int]
    raw: JsonObject = field(repr=False)

    @classmethod
    def from_json(cls, data: Any) -> BatchResult:
        body = _wire.obj(data)
        results = []
        for item in body.get("results", []):
            entry = _wire.obj(item)
            error = entry.get("error")
            results.append(
                BatchEventResult(
                    index=_wire.integer(entry.get("index")) or 0,
                    status=str(entry.get("status", "")),
                    event_id=_wire.text(entry.get("event_id")),
                    error=error if isinstance(error, dict) else None,
                )
            )
        return cls(results=results, summary=_wire.int_map(body.get("summary")), raw=body)


@dataclass(frozen=True)
class StorageReport:
    """``POST /api/v1/usage/storage``: storage as recorded, with the plan's limits."""

    storage_bytes: int
    storage_bytes_limit: int | None
    storage_items: int
    storage_items_limit: int | None
    over_limit: bool
    raw: JsonObject = field(repr=False)

    @classmethod
    def from_json(cls, data: Any) -> StorageReport:
        body = _wire.obj(data)
        return cls(
            storage_bytes=_wire.integer(body.get("storage_bytes")) or 0,
            storage_bytes_limit=_wire.integer(body.get("storage_bytes_limit")),
            storage_items=_wire.integer(body.get("storage_items")) or 0,
            storage_items_limit=_wire.integer(body.get("storage_items_limit")),
            over_limit=bool(body.get("over_limit")),
            raw=body,
        )


@dataclass(frozen=True)
class HistoryBucket:
    start: datetime
    credits: Decimal
    events: int


@dataclass(frozen=True)
class UsageHistory:
    """``GET /api/v1/usage/history``: credits and events per day or hour of this period."""

    period_start: datetime
    period_end: datetime
    bucket: str
    data: list[HistoryBucket]
    raw: JsonObject = field(repr=False)

    @classmethod
    def from_json(cls, data: Any) -> UsageHistory:
        body = _wire.obj(data)
        return cls(
            period_start=_wire.required_time(body.get("period_start")),
            period_end=_wire.required_time(body.get("period_end")),
            bucket=str(body.get("bucket", "")),
            data=[
                HistoryBucket(
                    start=_wire.required_time(_wire.obj(b).get("start")),
                    credits=_wire.credits(_wire.obj(b).get("credits", 0)),
                    events=_wire.integer(_wire.obj(b).get("events")) or 0,
                )
                for b in body.get("data", [])
            ],
            raw=body,
        )


@dataclass(frozen=True)
class Reservation:
    """``POST /api/v1/usage/reserve``: credits held until settled or released (services that offer it)."""

    reservation_id: str
    expires_at: datetime | None
    raw: JsonObject = field(repr=False)

    @classmethod
    def from_json(cls, data: Any) -> Reservation:
        body = _wire.obj(data)
        return cls(
            reservation_id=str(body.get("reservation_id", "")),
            expires_at=_wire.time(body.get("expires_at")),
            raw=body,
        )
