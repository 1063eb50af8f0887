"""Typed results of the billing routes (``/api/v1/billing/...``). Money is integer minor units."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from . import _wire
from ._wire import JsonObject
from .models import Limits


@dataclass(frozen=True)
class Subscription:
    """``GET /api/v1/billing/subscription``: the subscription as Tollgate mirrors it."""

    customer_id: str
    subscription_tier: str
    plan_name: str
    status: str
    billing_interval: str | None
    subscription_id: str | None
    current_period_start: datetime | None
    current_period_end: datetime | None
    trial_end: datetime | None
    cancel_at_period_end: bool
    payment_failed_at: datetime | None
    limits: Limits
    raw: JsonObject = field(repr=False)

    @classmethod
    def from_json(cls, data: Any) -> Subscription:
        body = _wire.obj(data)
        return cls(
            customer_id=str(body.get("customer_id", "")),
            subscription_tier=str(body.get("subscription_tier", "")),
            plan_name=str(body.get("plan_name", "")),
            status=str(body.get("status", "")),
            billing_interval=_wire.text(body.get("billing_interval")),
            subscription_id=_wire.text(body.get("subscription_id")),
            current_period_start=_wire.time(body.get("current_period_start")),
            current_period_end=_wire.time(body.get("current_period_end")),
            trial_end=_wire.time(body.get("trial_end")),
            cancel_at_period_end=bool(body.get("cancel_at_period_end")),
            payment_failed_at=_wire.time(body.get("payment_failed_at")),
            limits=Limits.from_json(body.get("limits")),
            raw=body,
        )


@dataclass(frozen=True)
class BillingChange:
    """What a mutating billing route did (``action``, or ``nothing`` with a ``reason``) and the result."""

    action: str
    reason: str | None
    subscription: Subscription
    raw: JsonObject = field(repr=False)

    @classmethod
    def from_json(cls, data: Any) -> BillingChange:
        body = _wire.obj(data)
        return cls(
            action=str(body.get("action", "")),
            reason=_wire.text(body.get("reason")),
            subscription=Subscription.from_json(body.get("subscription")),
            raw=body,
        )


@dataclass(frozen=True)
class CheckoutSession:
    session_id: str
    url: str

    @classmethod
    def from_json(cls, data: Any) -> CheckoutSession:
        body = _wire.obj(data)
        return cls(session_id=str(body.get("session_id", "")), url=str(body.get("url", "")))


@dataclass(frozen=True)
class Link:
    """A URL to send the customer to (portal, one-time billing page link)."""

    url: str
    expires_at: datetime | None

    @classmethod
    def from_json(cls, data: Any) -> Link:
        body = _wire.obj(data)
        return cls(url=str(body.get("url", "")), expires_at=_wire.time(body.get("expires_at")))


@dataclass(frozen=True)
class Invoice:
    id: str
    number: str | None
    status: str | None
    currency: str
    amount_due: int
    amount_paid: int
    total: int
    created: datetime | None
    period_start: datetime | None
    period_end: datetime | None
    hosted_invoice_url: str | None
    invoice_pdf: str | None
    subscription_id: str | None
    billing_reason: str | None
    raw: JsonObject = field(repr=False)

    @classmethod
    def from_json(cls, data: Any) -> Invoice:
        body = _wire.obj(data)
        return cls(
            id=str(body.get("id", "")),
            number=_wire.text(body.get("number")),
            status=_wire.text(body.get("status")),
            currency=str(body.get("currency", "")),
            amount_due=_wire.integer(body.get("amount_due")) or 0,
            amount_paid=_wire.integer(body.get("amount_paid")) or 0,
            total=_wire.integer(body.get("total")) or 0,
            created=_wire.time(body.get("created")),
            period_start=_wire.time(body.get("period_start")),
            period_end=_wire.time(body.get("period_end")),
            hosted_invoice_url=_wire.text(body.get("hosted_invoice_url")),
            invoice_pdf=_wire.text(body.get("invoice_pdf")),
            subscription_id=_wire.text(body.get("subscription_id")),
            billing_reason=_wire.text(body.get("billing_reason")),
            raw=body,
        )


def invoices_from_json(data: Any) -> list[Invoice]:
    return [Invoice.from_json(item) for item in _wire.obj(data).get("invoices", [])]


@dataclass(frozen=True)
class PaymentMethod:
    id: str
    brand: str | None
    last4: str | None
    exp_month: int | None
    exp_year: int | None
    default: bool

    @classmethod
    def from_json(cls, data: Any) -> PaymentMethod:
        body = _wire.obj(data)
        return cls(
            id=str(body.get("id", "")),
            brand=_wire.text(body.get("brand")),
            last4=_wire.text(body.get("last4")),
            exp_month=_wire.integer(body.get("exp_month")),
            exp_year=_wire.integer(body.get("exp_year")),
            default=bool(body.get("default")),
        )


def payment_methods_from_json(data: Any) -> list[PaymentMethod]:
    return [PaymentMethod.from_json(item) for item in _wire.obj(data).get("payment_methods", [])]
