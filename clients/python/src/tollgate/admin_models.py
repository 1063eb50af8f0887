"""Typed results of the admin routes (``/api/v1/admin/...``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar

from . import _wire
from ._wire import JsonObject, Model
from .billing_models import Invoice
from .models import ContractLimit, CreditUsage, Usage

T = TypeVar("T")


@dataclass(frozen=True)
class Customer(Model):
    id: str
    external_id: str | None
    email: str | None
    name: str | None
    plan: str
    effective_plan: str
    status: str
    stored_status: str
    stripe_customer_id: str | None
    storage_bytes: int
    storage_items: int
    metadata: dict[str, str]
    created_at: datetime | None
    usage: CreditUsage | None
    """Credit usage this period: in customer lists only."""
    raw: JsonObject = field(repr=False)


@dataclass(frozen=True)
class KeyLimits(Model):
    """A key's own limits inside its customer's: whole credits per credit period, requests per minute
    and per day; None means the key has no such limit of its own."""

    credits: Decimal | None
    requests_per_minute: int | None
    requests_per_day: int | None


@dataclass(frozen=True)
class KeyUsage(Model):
    """Credits and events recorded through a key this credit period."""

    credits_used: Decimal
    events: int


@dataclass(frozen=True)
class ApiKey(Model):
    """An API key; ``key`` holds the secret only in the answer that issued it. ``owner`` is who holds
    it (free text), ``limits`` its own limits (None: only the customer's apply)."""

    id: str
    customer_id: str | None
    prefix: str
    name: str | None
    owner: str | None
    limits: KeyLimits | None
    created_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None
    key: str | None
    usage: KeyUsage | None
    """This credit period's usage through the key: in ``get_customer`` only."""


@dataclass(frozen=True)
class KeyUsageLine(KeyUsage):
    """One key of ``usage_by_key``, revoked ones too."""

    key_id: str
    name: str | None
    owner: str | None
    prefix: str
    revoked_at: datetime | None
    last_used_at: datetime | None
    limits: KeyLimits | None


@dataclass(frozen=True)
class UsageByKey(Model):
    """``GET /api/v1/admin/customers/:id/usage/keys``: the credit period's usage by key; the keys and
    ``unattributed`` (usage recorded without a key) add up to ``credits_used`` and ``events``."""

    customer_id: str
    period_start: datetime
    period_end: datetime
    credits_used: Decimal
    events: int
    keys: list[KeyUsageLine]
    unattributed: KeyUsage


@dataclass(frozen=True)
class Override(ContractLimit):
    """One override of a customer's plan, in force or expired (``in_force``: kept until removed)."""

    in_force: bool
    reason: str | None
    created_by: str
    created_at: datetime
    updated_by: str
    updated_at: datetime


@dataclass(frozen=True)
class Overrides(Model):
    """A customer's overrides ordered by key, and its plan; ``audit_id`` is the audit entry of a change."""

    customer_id: str
    plan: str
    overrides: list[Override]
    audit_id: str | None

    def get(self, key: str) -> Override | None:
        """The override of ``key`` (``credits``, ``features.federation``, ...), when there is one."""
        return next((o for o in self.overrides if o.key == key), None)


@dataclass(frozen=True)
class Grant(Model):
    """A grant of credits (``kind`` ``credits``, figures in credits) or of units of ``operation``
    (``kind`` ``operation``, whole units), with what is used and left now. ``status`` is ``active``,
    ``used``, ``expired`` or ``revoked``; ``expires`` is ``period`` or ``until_used``."""

    id: str
    kind: str
    operation: str | None
    amount: Decimal
    used: Decimal
    remaining: Decimal
    status: str
    expires: str
    expires_at: datetime | None
    reason: str | None
    created_at: datetime
    created_by: str | None
    revoked_at: datetime | None


@dataclass(frozen=True)
class CustomerPrice(Model):
    """A customer's negotiated price for a plan and interval, in minor units of ``currency``.
    ``active`` is False once replaced or removed (listed with ``history=True``)."""

    id: str
    customer_id: str
    plan: str
    interval: str
    amount: int
    currency: str
    stripe_price_id: str
    reason: str | None
    created_by: str
    created_at: datetime
    active: bool
    removed_by: str | None
    removed_at: datetime | None


@dataclass(frozen=True)
class PriceChange(Model):
    """What ``set_price`` did: the price now active, the one it replaced, and ``changed`` (False when
    the customer already had this amount)."""

    price: CustomerPrice
    replaced: CustomerPrice | None
    changed: bool


@dataclass(frozen=True)
class CreatedCustomer(Model):
    customer: Customer
    api_key: ApiKey


@dataclass(frozen=True)
class CustomerDetail(Model):
    """One customer with its full usage, its keys (prefixes only, each with its owner, limits and
    ``usage`` this period) and its ``overrides`` (in force or expired)."""

    customer: Customer
    usage: Usage
    api_keys: list[ApiKey]
    overrides: list[Override]


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list; pass ``next_starting_after`` as ``starting_after`` for the next."""

    data: list[T]
    has_more: bool
    next_starting_after: str | None

    @classmethod
    def parse(cls, data: Any, item: Callable[[Any], T], last_id: Callable[[T], str]) -> Page[T]:
        body = _wire.obj(data)
        items = [item(entry) for entry in body.get("data", [])]
        has_more = bool(body.get("has_more"))
        after = _wire.text(body.get("next_starting_after"))
        if after is None and has_more and items:
            after = last_id(items[-1])
        return cls(data=items, has_more=has_more, next_starting_after=after)


@dataclass(frozen=True)
class WebhookEvent(Model):
    """A Stripe event in the webhook log, with its processing status."""

    id: str
    type: str
    status: str
    attempts: int
    last_error: str | None
    raw: JsonObject = field(repr=False)


@dataclass(frozen=True)
class AuditEntry(Model):
    id: str
    at: datetime | None
    actor: str
    action: str
    details: JsonObject


@dataclass(frozen=True)
class Revenue(Model):
    """MRR and ARPU in minor units; churn and trial conversion (rates in basis points) in ``raw``."""

    currency: str
    mrr: int
    arpu: int
    paying_customers: int
    subscriptions_by_tier: dict[str, int]
    raw: JsonObject = field(repr=False)


def customer_page(data: Any) -> Page[Customer]:
    return Page.parse(data, Customer.from_json, lambda c: c.id)


def invoice_page(data: Any) -> Page[Invoice]:
    return Page.parse(data, Invoice.from_json, lambda i: i.id)


def event_page(data: Any) -> Page[WebhookEvent]:
    return Page.parse(data, WebhookEvent.from_json, lambda e: e.id)


def audit_page(data: Any) -> Page[AuditEntry]:
    return Page.parse(data, AuditEntry.from_json, lambda e: e.id)
