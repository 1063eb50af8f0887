"""Typed results of the admin routes (``/api/v1/admin/...``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from . import _wire
from ._wire import JsonObject, Model
from .billing_models import Invoice
from .models import CreditUsage, Usage

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
class ApiKey(Model):
    """An API key; ``key`` holds the secret only in the answer that issued it."""

    id: str
    customer_id: str | None
    prefix: str
    name: str | None
    created_at: datetime | None
    revoked_at: datetime | None
    key: str | None


@dataclass(frozen=True)
class CreatedCustomer(Model):
    customer: Customer
    api_key: ApiKey


@dataclass(frozen=True)
class CustomerDetail(Model):
    """One customer with its full usage and its keys (prefixes only)."""

    customer: Customer
    usage: Usage
    api_keys: list[ApiKey]


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
