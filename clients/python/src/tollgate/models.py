"""Typed results of the usage routes. Credits are ``Decimal``, times aware ``datetime``. Each result
with a ``raw`` field keeps the whole body there, so fields a newer service adds are readable before
this package names them. Fields take the
body's key of the same name (see ``_wire.Model``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from . import _wire
from ._wire import JsonObject, Model


@dataclass(frozen=True)
class Limits(Model):
    """A plan's limits; None means unlimited."""

    credits_per_month: Decimal | None
    requests_per_minute: int | None
    requests_per_day: int | None
    concurrent_requests: int | None
    storage_bytes: int | None
    storage_items: int | None


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
        operations = [_wire.obj(o) for o in body.get("operations", [])]
        return cls(
            currency=str(body.get("currency", "")),
            plan_ids=[str(_wire.obj(p).get("id")) for p in body.get("plans", [])],
            operations={str(o.get("id")): _wire.credits(o.get("credits", 0)) for o in operations},
            raw=body,
        )


@dataclass(frozen=True)
class OperationWindow(Model):
    """One window of an operation (``operations.<op>.<window>``): units of the operation, integers;
    ``limit`` and ``remaining`` are None when the plan does not limit that window."""

    used: int
    limit: int | None
    remaining: int | None
    resets_at: datetime


# ``{ operation: { window: OperationWindow } }``; windows are ``minute``, ``hour``, ``day``, ``month``.
Operations = dict[str, dict[str, OperationWindow]]


@dataclass(frozen=True)
class ContractLimit(Model):
    """One override of the customer's contract in force (``contract`` of ``/usage`` and
    ``/entitlements``): ``key`` as ``credits``, ``operations.tokens.month`` or ``features.federation``;
    ``value`` and ``plan_value`` in the catalog's units as the wire has them (credits ``Decimal`` or
    ``int``, counts ``int``, features ``bool``, an overage a dict; None = unlimited)."""

    key: str
    value: Any
    plan_value: Any
    expires_at: datetime | None


@dataclass(frozen=True)
class UsageGrant(Model):
    """A one-off grant usable now (``grants`` of ``/usage``), spent before the plan quota: credits when
    ``operation`` is None, else units of that operation (whole numbers)."""

    id: str
    operation: str | None
    amount: Decimal
    used: Decimal
    remaining: Decimal
    expires: str
    """``period`` (ends with the credit period) or ``until_used``."""
    expires_at: datetime | None


@dataclass(frozen=True)
class KeyStanding(Model):
    """The calling key's own usage and limits (``key`` of ``/usage``, when the key has limits). The
    request counts are None for a window the key does not limit."""

    id: str
    name: str | None
    owner: str | None
    credits_used: Decimal
    credits_limit: Decimal | None
    credits_remaining: Decimal | None
    requests_per_minute: int | None
    requests_this_minute: int | None
    requests_per_day: int | None
    requests_today: int | None


@dataclass(frozen=True)
class CreditUsage(Model):
    """Credits this period: what ``/usage`` and the admin customer list show."""

    subscription_tier: str
    credits_used: Decimal
    monthly_limit: Decimal | None
    quota_remaining: Decimal | None
    usage_percentage: float | None
    quota_exceeded: bool
    overage_used: Decimal
    period_start: datetime
    period_end: datetime


@dataclass(frozen=True)
class Usage(CreditUsage):
    """``GET /api/v1/usage``: credits this period, request windows, storage, account status. Limits are
    the effective ones (the plan's with the contract's overrides, listed in ``contract``);
    ``quota_remaining`` counts what is left of ``grants`` too while ``monthly_limit`` stays the plan's.
    ``key`` is the calling key's own standing when it has limits of its own."""

    customer_id: str
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
    operations: Operations
    contract: list[ContractLimit]
    grants: list[UsageGrant]
    key: KeyStanding | None
    raw: JsonObject = field(repr=False)


@dataclass(frozen=True)
class Entitlements(Model):
    """``GET /api/v1/entitlements``: the plan's features and limits, the credit cost of each operation
    (``operation_costs``) and where each operation stands in its windows (``operations``). Features and
    limits are the effective ones; ``contract`` lists the overrides in force with the plan's values."""

    customer_id: str
    subscription_tier: str
    plan_name: str
    status: str
    serviceable: bool
    features: dict[str, bool]
    limits: Limits
    operation_costs: dict[str, Decimal]
    operations: Operations
    contract: list[ContractLimit]
    raw: JsonObject = field(repr=False)


@dataclass(frozen=True)
class Decision(Model):
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


@dataclass(frozen=True)
class CheckResult(Decision):
    """``POST /api/v1/usage/check``: would it be allowed? ``reason`` is the code a record would get."""

    allowed: bool = False
    reason: str | None = None
    message: str | None = None
    retry_after: int | None = None
    upgrade_url: str | None = None


@dataclass(frozen=True)
class RecordResult(Decision):
    """``POST /api/v1/usage/record`` (one event): the debit; ``replayed`` when the key was seen before."""

    event_id: str | None = None
    idempotency_key: str = ""
    replayed: bool = False


@dataclass(frozen=True)
class BatchEventResult(Model):
    """One event of a batch: ``error`` is the error body for denied, conflict and invalid events."""

    index: int
    status: str
    event_id: str | None
    error: JsonObject | None


@dataclass(frozen=True)
class BatchResult(Model):
    """``POST /api/v1/usage/record`` with ``events``: a result per event, in order, and counts."""

    results: list[BatchEventResult]
    summary: dict[str, int]
    raw: JsonObject = field(repr=False)


@dataclass(frozen=True)
class StorageReport(Model):
    """``POST /api/v1/usage/storage``: storage as recorded, with the plan's limits."""

    storage_bytes: int
    storage_bytes_limit: int | None
    storage_items: int
    storage_items_limit: int | None
    over_limit: bool
    raw: JsonObject = field(repr=False)


@dataclass(frozen=True)
class HistoryBucket(Model):
    start: datetime
    credits: Decimal
    events: int


@dataclass(frozen=True)
class UsageHistory(Model):
    """``GET /api/v1/usage/history``: credits and events per day or hour of this period."""

    period_start: datetime
    period_end: datetime
    bucket: str
    data: list[HistoryBucket]
    raw: JsonObject = field(repr=False)


@dataclass(frozen=True)
class RecordedEvent(Model):
    """One event of ``GET /api/v1/usage/events`` (``Client.usage_events``), with its metadata."""

    id: str
    operation: str
    quantity: int
    credits: Decimal
    overage: Decimal
    idempotency_key: str | None
    occurred_at: datetime
    recorded_at: datetime
    metadata: dict[str, str] | None


@dataclass(frozen=True)
class Reservation(Model):
    """A reservation (``POST /api/v1/usage/reserve``, ``.../release``): ``operation`` x ``quantity``
    held against the quota and the operation's limits until settled, released or past ``expires_at``.
    ``status`` is ``held``, ``settled``, ``released`` or ``expired``; ``credits_held`` is the credits
    the hold takes (cost x quantity). ``headers`` are the decision headers of a reserve (empty for a
    release); ``replayed`` says a reserve's idempotency key was seen before."""

    reservation_id: str
    status: str
    operation: str
    quantity: int
    credits_held: Decimal
    expires_at: datetime
    settled_quantity: int | None
    event_id: str | None
    raw: JsonObject = field(repr=False)
    headers: dict[str, str] = field(default_factory=dict, repr=False)
    replayed: bool = False


@dataclass(frozen=True)
class Settlement(Reservation):
    """``POST /api/v1/usage/reservations/:id/settle``: the settled reservation, the usage event it
    recorded (``event_id``), the credits used this period after it (``credits_used``) and whether it
    took the quota or an operation limit past its limit (``over_limit``). ``replayed`` when this
    quantity had already settled it (the first result is answered)."""

    credits_used: Decimal = Decimal(0)
    over_limit: bool = False
