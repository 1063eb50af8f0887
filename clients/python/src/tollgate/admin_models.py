"""Typed results of the admin routes (``/api/v1/admin/...``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Generic, TypeVar

from . import _wire
from ._wire import JsonObject
from .billing_models import Invoice
from .models import Usage

T = TypeVar("T")


@dataclass(frozen=True)
class Customer:
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
    raw: JsonObject = field(repr=False)

    @property
    def usage(self) -> JsonObject | None:
        """The credit usage a customer list carries for each customer (``usage``)."""
        found = self.raw.get("usage")
        return found if isinstance(found, dict) else None

    @classmethod
    def from_json(cls, data: Any) -> Customer:
        body = _wire.obj(data)
        return cls(
            id=str(body.get("id", "")),
            external_id=_wire.text(body.get("external_id")),
            email=_wire.text(body.get("email")),
            name=_wire.text(body.get("name")),
            plan=str(body.get("plan", "")),
            effective_plan=str(body.get("effective_plan", "")),
            status=str(body.get("status", "")),
            stored_status=str(body.get("stored_status", "")),
            stripe_customer_id=_wire.text(body.get("stripe_customer_id")),
            storage_bytes=_wire.integer(body.get("storage_bytes")) or 0,
            storage_items=_wire.integer(body.get("storage_items")) or 0,
            metadata={k: str(v) for k, v in _wire.obj(body.get("metadata")).items()},
            created_at=_wire.time(body.get("created_at")),
            raw=body,
        )


@dataclass(frozen=True)
class ApiKey:
    """An API key; ``key`` holds the secret only in the answer that issued it."""

    id: str
    customer_id: str | None
    prefix: str
    name: str | None
    created_at: datetime | None
    revoked_at: datetime | None
    key: str | None

    @classmethod
    def from_json(cls, data: Any) -> ApiKey:
        body = _wire.obj(data)
        return cls(
            id=str(body.get("id", "")),
            customer_id=_wire.text(body.get("customer_id")),
            prefix=str(body.get("prefix", "")),
            name=_wire.text(body.get("name")),
            created_at=_wire.time(body.get("created_at")),
            revoked_at=_wire.time(body.get("revoked_at")),
            key=_wire.text(body.get("key")),
        )


@dataclass(frozen=True)
class CreatedCustomer:
    customer: Customer
    api_key: ApiKey

    @classmethod
    def from_json(cls, data: Any) -> CreatedCustomer:
        body = _wire.obj(data)
        return cls(customer=Customer.from_json(body.get("customer")), api_key=ApiKey.from_json(body.get("api_key")))


@dataclass(frozen=True)
class CustomerDetail:
    """One customer with its full usage and its keys (prefixes only)."""

    customer: Customer
    usage: Usage
    api_keys: list[ApiKey]

    @classmethod
    def from_json(cls, data: Any) -> CustomerDetail:
        body = _wire.obj(data)
        return cls(
            customer=Customer.from_json(body.get("customer")),
            usage=Usage.from_json(body.get("usage")),
            api_keys=[ApiKey.from_json(k) for k in body.get("api_keys", [])],
        )


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
class WebhookEvent:
    """A Stripe event in the webhook log, with its processing status."""

    id: str
    type: str
    status: str
    attempts: int
    last_error: str | None
    raw: JsonObject = field(repr=False)

    @classmethod
    def from_json(cls, data: Any) -> WebhookEvent:
        body = _wire.obj(data)
        return cls(
            id=str(body.get("id", "")),
            type=str(body.get("type", "")),
            status=str(body.get("status", "")),
            attempts=_wire.integer(body.get("attempts")) or 0,
            last_error=_wire.text(body.get("last_error")),
            raw=body,
        )


@dataclass(frozen=True)
class AuditEntry:
    id: str
    at: datetime | None
    actor: str
    action: str
    details: JsonObject

    @classmethod
    def from_json(cls, data: Any) -> AuditEntry:
        body = _wire.obj(data)
        return cls(
            id=str(body.get("id", "")),
            at=_wire.time(body.get("at")),
            actor=str(body.get("actor", "")),
            action=str(body.get("action", "")),
            details=_wire.obj(body.get("details")),
        )


@dataclass(frozen=True)
class Revenue:
    """MRR and ARPU in minor units, churn and trial conversion rates in basis points."""

    currency: str
    mrr: int
    arpu: int
    paying_customers: int
    subscriptions_by_tier: dict[str, int]
    raw: JsonObject = field(repr=False)

    @classmethod
    def from_json(cls, data: Any) -> Revenue:
        body = _wire.obj(data)
        return cls(
            currency=str(body.get("currency", "")),
            mrr=_wire.integer(body.get("mrr")) or 0,
            arpu=_wire.integer(body.get("arpu")) or 0,
            paying_customers=_wire.integer(body.get("paying_customers")) or 0,
            subscriptions_by_tier=_wire.int_map(body.get("subscriptions_by_tier")),
            raw=body,
        )


def customer_page(data: Any) -> Page[Customer]:
    return Page.parse(data, Customer.from_json, lambda c: c.id)


def invoice_page(data: Any) -> Page[Invoice]:
    return Page.parse(data, Invoice.from_json, lambda i: i.id)


def event_page(data: Any) -> Page[WebhookEvent]:
    return Page.parse(data, WebhookEvent.from_json, lambda e: e.id)


def audit_page(data: Any) -> Page[AuditEntry]:
    return Page.parse(data, AuditEntry.from_json, lambda e: e.id)
