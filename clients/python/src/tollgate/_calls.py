"""Every route of the service API as a description of one HTTP call, shared by the sync and the
async client: they differ only in how they send it. A call says whether repeating it is safe, which
decides whether a connection dropped after sending may be retried.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from enum import Enum
from typing import Any, Generic, TypeVar
from urllib.parse import quote

from . import _wire, models
from . import admin_models as admin
from . import billing_models as billing
from ._wire import JsonObject, obj

T = TypeVar("T")

Timestamp = datetime | int | str


@dataclass(frozen=True)
class Call(Generic[T]):
    method: str
    path: str
    parse: Callable[[Any, dict[str, str]], T]
    json: JsonObject | None = None
    params: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    # True when sending it twice has the effect of sending it once (GET, DELETE, keyed writes).
    repeatable: bool = True


@dataclass(frozen=True)
class UsageEvent:
    """One event of a batch (``record_batch``); a key is generated when none is given."""

    operation: str
    quantity: int = 1
    idempotency_key: str | None = None
    timestamp: Timestamp | None = None
    metadata: Mapping[str, str] | None = None
    """Strings stored with the event (at most 16 keys), listed by ``GET /api/v1/usage/events``."""


class Unchanged(Enum):
    """The default of ``update_key``'s fields: left out of the change (None removes the field)."""

    UNCHANGED = "unchanged"


UNCHANGED = Unchanged.UNCHANGED

# A key's own limits as an admin gives them: ``credits`` (whole credits per credit period),
# ``requests_per_minute``, ``requests_per_day``; None removes that limit.
KeyLimitsInput = Mapping[str, int | None]

# A credit figure to send: exact, never a float.
CreditFigure = Decimal | int | str


def new_key() -> str:
    """A fresh idempotency key: the same key goes with every retry of one call."""
    return uuid.uuid4().hex


def _body(**fields: Any) -> JsonObject:
    """The JSON body with the fields that were given (None means not sent)."""
    return {name: value for name, value in fields.items() if value is not None}


def _params(**fields: Any) -> dict[str, str]:
    return {name: str(value) for name, value in fields.items() if value is not None}


def _segment(value: str) -> str:
    return quote(value, safe="")


def _timestamp(value: Timestamp | None) -> str | int | None:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("timestamp: give an aware datetime (with a time zone)")
        return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    return value


def _credit_figure(value: CreditFigure) -> Decimal | int:
    """A credit figure for a body, as an exact JSON number (see ``_wire.dumps``)."""
    if isinstance(value, bool) or not isinstance(value, (Decimal, int, str)):
        raise TypeError(f"credits: give a Decimal, an int or a str, not {value!r}")
    return value if isinstance(value, int) else _wire.credits(value)


def _plain(parse: Callable[[Any], T]) -> Callable[[Any, dict[str, str]], T]:
    return lambda body, _headers: parse(body)


def _raw(body: Any, _headers: dict[str, str]) -> JsonObject:
    return obj(body)


def _replayable(cls: type[_wire.M], **given: Any) -> Callable[[Any, dict[str, str]], _wire.M]:
    """Parses ``cls`` with the response headers, ``replayed`` from ``Idempotent-Replayed`` and ``given``."""
    return lambda body, headers: _wire.parse(
        cls, body, headers=headers, replayed=headers.get("idempotent-replayed") == "true", **given
    )


def _keyed(key: str | None) -> dict[str, str]:
    return {"Idempotency-Key": key or new_key()}


# Usage (customer key)


def plans() -> Call[models.Plans]:
    return Call("GET", "/api/v1/plans", _plain(models.Plans.from_json))


def usage() -> Call[models.Usage]:
    return Call("GET", "/api/v1/usage", _plain(models.Usage.from_json))


def entitlements() -> Call[models.Entitlements]:
    return Call("GET", "/api/v1/entitlements", _plain(models.Entitlements.from_json))


def history(bucket: str) -> Call[models.UsageHistory]:
    return Call("GET", "/api/v1/usage/history", _plain(models.UsageHistory.from_json), params={"bucket": bucket})


def check(operation: str, quantity: int) -> Call[models.CheckResult]:
    return Call(
        "POST",
        "/api/v1/usage/check",
        lambda body, headers: _wire.parse(models.CheckResult, body, headers=headers),
        json={"operation": operation, "quantity": quantity},
    )


def record(
    operation: str,
    quantity: int,
    idempotency_key: str | None,
    timestamp: Timestamp | None,
    metadata: Mapping[str, str] | None = None,
) -> Call[models.RecordResult]:
    key = idempotency_key or new_key()
    return Call(
        "POST",
        "/api/v1/usage/record",
        _replayable(models.RecordResult, idempotency_key=key),
        json=_body(
            operation=operation,
            quantity=quantity,
            idempotency_key=key,
            timestamp=_timestamp(timestamp),
            metadata=None if metadata is None else dict(metadata),
        ),
    )


def usage_events(limit: int | None, after: str | None) -> Call[admin.Page[models.RecordedEvent]]:
    return Call(
        "GET",
        "/api/v1/usage/events",
        _plain(lambda body: admin.Page.parse(body, models.RecordedEvent.from_json, lambda event: event.id)),
        params=_params(limit=limit, after=after),
    )


def record_batch(events: Iterable[UsageEvent | Mapping[str, Any]]) -> Call[models.BatchResult]:
    sent = []
    for event in events:
        if isinstance(event, UsageEvent):
            item = _body(
                operation=event.operation,
                quantity=event.quantity,
                idempotency_key=event.idempotency_key,
                timestamp=_timestamp(event.timestamp),
                metadata=None if event.metadata is None else dict(event.metadata),
            )
        else:
            item = dict(event)
        item.setdefault("idempotency_key", new_key())
        sent.append(item)
    return Call("POST", "/api/v1/usage/record", _plain(models.BatchResult.from_json), json={"events": sent})


def report_storage(bytes: int, items: int) -> Call[models.StorageReport]:
    return Call(
        "POST",
        "/api/v1/usage/storage",
        _plain(models.StorageReport.from_json),
        json={"bytes": bytes, "items": items},
    )


def reserve(
    operation: str, quantity: int, idempotency_key: str | None, ttl_seconds: int | None
) -> Call[models.Reservation]:
    body = _body(
        operation=operation, quantity=quantity, idempotency_key=idempotency_key or new_key(), ttl_seconds=ttl_seconds
    )
    return Call("POST", "/api/v1/usage/reserve", _replayable(models.Reservation), json=body)


def _reservation(reservation_id: str, action: str) -> str:
    return f"/api/v1/usage/reservations/{_segment(reservation_id)}/{action}"


def settle(reservation_id: str, quantity: int) -> Call[models.Settlement]:
    # Repeatable: settling again with the same quantity answers the first result.
    return Call(
        "POST", _reservation(reservation_id, "settle"), _replayable(models.Settlement), json={"quantity": quantity}
    )


def release(reservation_id: str) -> Call[models.Reservation]:
    return Call("POST", _reservation(reservation_id, "release"), _plain(models.Reservation.from_json))


# Billing (customer key)

_change = _plain(billing.BillingChange.from_json)


def subscription() -> Call[billing.Subscription]:
    return Call("GET", "/api/v1/billing/subscription", _plain(billing.Subscription.from_json))


def subscribe(
    tier: str, interval: str | None, payment_method_id: str | None, trial: bool | None, key: str | None
) -> Call[billing.BillingChange]:
    body = _body(tier=tier, interval=interval, payment_method_id=payment_method_id, trial=trial)
    return Call("POST", "/api/v1/billing/subscribe", _change, json=body, headers=_keyed(key))


def _upgrade_body(new_tier: str, interval: str | None, proration_date: datetime | str | None) -> JsonObject:
    return _body(new_tier=new_tier, interval=interval, proration_date=_timestamp(proration_date))


def upgrade(
    new_tier: str, interval: str | None, proration_date: datetime | str | None, key: str | None
) -> Call[billing.BillingChange]:
    body = _upgrade_body(new_tier, interval, proration_date)
    return Call("POST", "/api/v1/billing/upgrade", _change, json=body, headers=_keyed(key))


def upgrade_preview(new_tier: str, interval: str | None) -> Call[billing.UpgradePreview]:
    # Changes nothing, so repeating it is safe without a key.
    body = _upgrade_body(new_tier, interval, None)
    return Call("POST", "/api/v1/billing/upgrade/preview", _plain(billing.UpgradePreview.from_json), json=body)


def cancel(immediate: bool, key: str | None) -> Call[billing.BillingChange]:
    body = {"immediate": True} if immediate else {}
    return Call("POST", "/api/v1/billing/cancel", _change, json=body, headers=_keyed(key))


def resume(key: str | None) -> Call[billing.BillingChange]:
    return Call("POST", "/api/v1/billing/resume", _change, headers=_keyed(key))


def checkout(
    tier: str, success_url: str, cancel_url: str, interval: str | None, key: str | None
) -> Call[billing.CheckoutSession]:
    body = _body(tier=tier, interval=interval, success_url=success_url, cancel_url=cancel_url)
    parse = _plain(billing.CheckoutSession.from_json)
    return Call("POST", "/api/v1/billing/checkout", parse, json=body, headers=_keyed(key))


def portal(return_url: str, key: str | None) -> Call[billing.Link]:
    body = {"return_url": return_url}
    return Call("POST", "/api/v1/billing/portal", _plain(billing.Link.from_json), json=body, headers=_keyed(key))


def invoices(limit: int | None) -> Call[list[billing.Invoice]]:
    return Call(
        "GET",
        "/api/v1/billing/invoices",
        _plain(lambda body: billing.Invoices.from_json(body).invoices),
        params=_params(limit=limit),
    )


def payment_methods() -> Call[list[billing.PaymentMethod]]:
    return Call(
        "GET",
        "/api/v1/billing/payment-methods",
        _plain(lambda body: billing.PaymentMethods.from_json(body).payment_methods),
    )


def dashboard_link(return_url: str | None, embed: bool | None, theme: Mapping[str, str] | None) -> Call[billing.Link]:
    body = _body(return_url=return_url, embed=embed, theme=dict(theme) if theme else None)
    # Each call mints a new one-time link, so a retry after sending would only mint another.
    return Call("POST", "/api/v1/billing/dashboard-link", _plain(billing.Link.from_json), json=body, repeatable=False)


def trial_available() -> Call[bool]:
    return Call("GET", "/api/v1/billing/trial", lambda body, _h: bool(obj(body).get("available")))


# Admin (admin key)


def create_customer(
    external_id: str | None,
    email: str | None,
    name: str | None,
    plan: str | None,
    metadata: Mapping[str, str] | None,
    key_name: str | None,
) -> Call[admin.CreatedCustomer]:
    body = _body(
        external_id=external_id,
        email=email,
        name=name,
        plan=plan,
        metadata=dict(metadata) if metadata is not None else None,
        key_name=key_name,
    )
    # Not repeatable: a second customer would be created (unless external_id makes it a 409).
    parse = _plain(admin.CreatedCustomer.from_json)
    return Call("POST", "/api/v1/admin/customers", parse, json=body, repeatable=False)


def list_customers(
    limit: int | None,
    starting_after: str | None,
    plan: str | None,
    status: str | None,
    search: str | None,
    sort: str | None,
) -> Call[admin.Page[admin.Customer]]:
    params = _params(limit=limit, starting_after=starting_after, plan=plan, status=status, search=search, sort=sort)
    return Call("GET", "/api/v1/admin/customers", _plain(admin.customer_page), params=params)


def get_customer(customer_id: str) -> Call[admin.CustomerDetail]:
    path = f"/api/v1/admin/customers/{_segment(customer_id)}"
    return Call("GET", path, _plain(admin.CustomerDetail.from_json))


def _customer(customer_id: str, *rest: str) -> str:
    """``/api/v1/admin/customers/<id>[/<rest>...]``, each part URL-encoded."""
    return "/".join([f"/api/v1/admin/customers/{_segment(customer_id)}", *(_segment(part) for part in rest)])


def issue_key(
    customer_id: str, name: str | None, owner: str | None, limits: KeyLimitsInput | None
) -> Call[admin.ApiKey]:
    path = f"/api/v1/admin/customers/{_segment(customer_id)}/keys"
    body = _body(name=name, owner=owner, limits=None if limits is None else dict(limits))
    return Call("POST", path, _plain(admin.ApiKey.from_json), json=body, repeatable=False)


def update_key(
    key_id: str,
    name: str | None | Unchanged,
    owner: str | None | Unchanged,
    limits: KeyLimitsInput | None | Unchanged,
) -> Call[admin.ApiKey]:
    # None is sent (it removes the field); UNCHANGED is left out.
    given = {"name": name, "owner": owner, "limits": limits if limits is None or limits is UNCHANGED else dict(limits)}
    body = {key: value for key, value in given.items() if value is not UNCHANGED}
    # Repeatable: the same change again leaves the key as the first made it.
    return Call("PATCH", f"/api/v1/admin/keys/{_segment(key_id)}", _plain(admin.ApiKey.from_json), json=body)


def usage_by_key(customer_id: str) -> Call[admin.UsageByKey]:
    return Call("GET", _customer(customer_id, "usage", "keys"), _plain(admin.UsageByKey.from_json))


def revoke_key(key_id: str) -> Call[bool]:
    path = f"/api/v1/admin/keys/{_segment(key_id)}"
    return Call("DELETE", path, lambda body, _h: bool(obj(body).get("revoked")))


def reactivate(customer_id: str, reason: str | None) -> Call[admin.Customer]:
    path = f"/api/v1/admin/customers/{_segment(customer_id)}/reactivate"
    parse = _plain(lambda body: admin.Customer.from_json(obj(body).get("customer")))
    return Call("POST", path, parse, json=_body(reason=reason))


# Contracts: overrides, grants, negotiated prices (admin key)


def list_overrides(customer_id: str) -> Call[admin.Overrides]:
    return Call("GET", _customer(customer_id, "overrides"), _plain(admin.Overrides.from_json))


def set_overrides(
    customer_id: str,
    limits: Mapping[str, Any] | None,
    features: Mapping[str, bool] | None,
    expires_at: datetime | str | None,
    reason: str | None,
) -> Call[admin.Overrides]:
    body = _body(
        limits=None if limits is None else dict(limits),
        features=None if features is None else dict(features),
        expires_at=_timestamp(expires_at),
        reason=reason,
    )
    # Repeatable: the same overrides again leave the contract as the first call set it.
    return Call("PUT", _customer(customer_id, "overrides"), _plain(admin.Overrides.from_json), json=body)


def remove_override(customer_id: str, key: str, reason: str | None) -> Call[admin.Overrides]:
    path = _customer(customer_id, "overrides", key)
    return Call("DELETE", path, _plain(admin.Overrides.from_json), params=_params(reason=reason))


def remove_overrides(customer_id: str, reason: str | None) -> Call[admin.Overrides]:
    path = _customer(customer_id, "overrides")
    return Call("DELETE", path, _plain(admin.Overrides.from_json), params=_params(reason=reason))


def _grant(body: Any) -> admin.Grant:
    return admin.Grant.from_json(obj(body).get("grant"))


def create_grant(
    customer_id: str,
    credits: CreditFigure | None,
    operation: str | None,
    quantity: int | None,
    expires: str,
    expires_at: datetime | str | None,
    idempotency_key: str | None,
    reason: str | None,
) -> Call[admin.Grant]:
    body = _body(
        credits=None if credits is None else _credit_figure(credits),
        operation=operation,
        quantity=quantity,
        expires=expires,
        expires_at=_timestamp(expires_at),
        idempotency_key=idempotency_key or new_key(),
        reason=reason,
    )
    # Repeatable: a retry with the same idempotency key answers the first grant.
    return Call("POST", _customer(customer_id, "grants"), _plain(_grant), json=body)


def list_grants(customer_id: str) -> Call[list[admin.Grant]]:
    parse = _plain(lambda body: [admin.Grant.from_json(item) for item in obj(body).get("data", [])])
    return Call("GET", _customer(customer_id, "grants"), parse)


def revoke_grant(customer_id: str, grant_id: str) -> Call[admin.Grant]:
    return Call("DELETE", _customer(customer_id, "grants", grant_id), _plain(_grant))


def list_prices(customer_id: str, history: bool) -> Call[list[admin.CustomerPrice]]:
    parse = _plain(lambda body: [admin.CustomerPrice.from_json(item) for item in obj(body).get("data", [])])
    params = {"history": "true"} if history else {}
    return Call("GET", _customer(customer_id, "prices"), parse, params=params)


def set_price(customer_id: str, plan: str, interval: str, amount: int, reason: str | None) -> Call[admin.PriceChange]:
    body = _body(plan=plan, interval=interval, amount=amount, reason=reason)
    # Repeatable: the same amount again changes nothing (``changed`` False).
    return Call("PUT", _customer(customer_id, "prices"), _plain(admin.PriceChange.from_json), json=body)


def remove_price(customer_id: str, plan: str, interval: str) -> Call[admin.CustomerPrice]:
    parse = _plain(lambda body: admin.CustomerPrice.from_json(obj(body).get("price")))
    return Call("DELETE", _customer(customer_id, "prices", plan, interval), parse)


def customer_events(
    customer_id: str, limit: int | None, starting_after: str | None
) -> Call[admin.Page[admin.AuditEntry]]:
    path = f"/api/v1/admin/customers/{_segment(customer_id)}/events"
    return Call("GET", path, _plain(admin.audit_page), params=_params(limit=limit, starting_after=starting_after))


def list_invoices(
    limit: int | None, starting_after: str | None, customer_id: str | None, status: str | None
) -> Call[admin.Page[billing.Invoice]]:
    params = _params(limit=limit, starting_after=starting_after, customer_id=customer_id, status=status)
    return Call("GET", "/api/v1/admin/invoices", _plain(admin.invoice_page), params=params)


def revenue() -> Call[admin.Revenue]:
    return Call("GET", "/api/v1/admin/revenue", _plain(admin.Revenue.from_json))


def list_events(
    limit: int | None, starting_after: str | None, status: str | None, type: str | None
) -> Call[admin.Page[admin.WebhookEvent]]:
    params = _params(limit=limit, starting_after=starting_after, status=status, type=type)
    return Call("GET", "/api/v1/admin/events", _plain(admin.event_page), params=params)


def replay_event(event_id: str) -> Call[JsonObject]:
    return Call("POST", f"/api/v1/admin/events/{_segment(event_id)}/replay", _raw)


def advance_clock(seconds: int) -> Call[JsonObject]:
    return Call("POST", "/api/v1/admin/clock/advance", _raw, json={"seconds": seconds}, repeatable=False)
