"""Typed results of the billing routes (``/api/v1/billing/...``). Money is integer minor units."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ._wire import JsonObject, Model
from .models import Limits


@dataclass(frozen=True)
class BilledPrice(Model):
    """What the subscription bills per ``interval``, in minor units; ``contract`` when it is the
    customer's negotiated price, not the catalog's."""

    amount: int
    currency: str
    interval: str
    contract: bool


@dataclass(frozen=True)
class ContractPrice(Model):
    """A price negotiated for the customer: what subscribe, upgrade and Checkout charge it for ``plan``
    and ``interval`` instead of the catalog's amount (minor units)."""

    plan: str
    interval: str
    amount: int
    currency: str


@dataclass(frozen=True)
class Subscription(Model):
    """``GET /api/v1/billing/subscription``: the subscription as Tollgate mirrors it. ``price`` (what it
    bills; None without a subscription) and ``contract_prices`` come with that route only, not with
    the ``subscription`` of a billing change (None and empty there)."""

    customer_id: str
    customer_name: str | None
    customer_email: str | None
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
    price: BilledPrice | None
    contract_prices: list[ContractPrice]
    raw: JsonObject = field(repr=False)


@dataclass(frozen=True)
class BillingChange(Model):
    """What a mutating billing route did (``action``, or ``nothing`` with a ``reason``) and the result."""

    action: str
    reason: str | None
    subscription: Subscription


@dataclass(frozen=True)
class UpgradeLine(Model):
    """One line of the previewed invoice; ``proration`` for the prorated ones."""

    description: str | None
    amount: int
    proration: bool


@dataclass(frozen=True)
class UpgradePreview(Model):
    """``POST /api/v1/billing/upgrade/preview``: what the upgrade would bill, changing nothing.
    ``due_now`` when ``amount_due`` is charged at once (an upgrade), else it is the next invoice's;
    pass ``proration_date`` to ``upgrade`` to be charged exactly ``amount_due``."""

    action: str
    reason: str | None
    direction: str | None
    proration_date: datetime | None
    due_now: bool
    amount_due: int
    currency: str | None
    lines: list[UpgradeLine]
    raw: JsonObject = field(repr=False)


@dataclass(frozen=True)
class CheckoutSession(Model):
    session_id: str
    url: str


@dataclass(frozen=True)
class Link(Model):
    """A URL to send the customer to (portal, one-time billing page link)."""

    url: str
    expires_at: datetime | None


@dataclass(frozen=True)
class Invoice(Model):
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


@dataclass(frozen=True)
class Invoices(Model):
    invoices: list[Invoice]


@dataclass(frozen=True)
class PaymentMethod(Model):
    id: str
    brand: str | None
    last4: str | None
    exp_month: int | None
    exp_year: int | None
    default: bool


@dataclass(frozen=True)
class PaymentMethods(Model):
    payment_methods: list[PaymentMethod]
