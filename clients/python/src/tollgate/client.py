"""``tollgate.Client``: the service API, synchronously, on ``httpx``.

client = Client("http://localhost:3000", api_key="tg_live_...")
client.record("search")               # debits 0.1 credit, or raises QuotaExceeded, RateLimited, ...
client.usage().quota_remaining        # Decimal("99.9")
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, TypeVar

import httpx

from . import _calls as calls
from . import admin_models as admin
from . import billing_models as billing
from . import models
from ._calls import UNCHANGED, Call, CreditFigure, KeyLimitsInput, Timestamp, Unchanged, UsageEvent
from ._transport import RetryPolicy, build_request, connection_error, read_response, retryable_failure
from ._wire import JsonObject

T = TypeVar("T")


class Client:
    """A customer key reaches the usage and billing methods, an admin key the ``admin`` ones.

    ``http_client`` lets you pass your own ``httpx.Client`` (proxies, transport, limits); its
    ``base_url`` is then used and it is not closed by :meth:`close`.
    """

    def __init__(
        self,
        base_url: str = "http://localhost:3000",
        api_key: str | None = None,
        *,
        timeout: float = 10.0,
        retry: RetryPolicy | None = None,
        http_client: httpx.Client | None = None,
    ) -> None:
        self.api_key = api_key
        self.retry = retry or RetryPolicy()
        self._owns_http = http_client is None
        self._http = http_client or httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout)

    def with_api_key(self, api_key: str) -> Client:
        """The same connection pool, another key (e.g. each of your users' keys)."""
        view = Client(api_key=api_key, retry=self.retry, http_client=self._http)
        return view

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send(self, call: Call[T]) -> T:
        """Sends one call with the retry policy; used by every method."""
        attempt = 0
        while True:
            try:
                response = self._http.send(build_request(self._http, call, self.api_key))
            except httpx.TransportError as error:
                if attempt >= self.retry.max_retries or not retryable_failure(error, call):
                    raise connection_error(error, attempt + 1) from error
                time.sleep(self.retry.delay(attempt))
            else:
                if response.status_code != 503 or attempt >= self.retry.max_retries:
                    return read_response(call, response)
                time.sleep(self.retry.delay(attempt, response.headers.get("retry-after")))
            attempt += 1

    # Usage

    def plans(self) -> models.Plans:
        """The public catalog; needs no key."""
        return self.send(calls.plans())

    def usage(self) -> models.Usage:
        return self.send(calls.usage())

    def entitlements(self) -> models.Entitlements:
        return self.send(calls.entitlements())

    def usage_events(self, *, limit: int | None = None, after: str | None = None) -> admin.Page[models.RecordedEvent]:
        """The customer's events newest first, with their metadata; pass ``next_starting_after`` as ``after``."""
        return self.send(calls.usage_events(limit, after))

    def history(self, bucket: str = "day") -> models.UsageHistory:
        return self.send(calls.history(bucket))

    def check(self, operation: str, quantity: int = 1) -> models.CheckResult:
        """Would it be allowed now? Counts nothing; never raises for a denial (see ``allowed``)."""
        return self.send(calls.check(operation, quantity))

    def record(
        self,
        operation: str,
        quantity: int = 1,
        *,
        idempotency_key: str | None = None,
        timestamp: Timestamp | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> models.RecordResult:
        """Debits ``operation`` x ``quantity`` or raises the denial. A key is generated when not given.
        ``metadata`` (e.g. ``{"model": "gpt-4o"}``) is stored with the event and part of its idempotency."""
        return self.send(calls.record(operation, quantity, idempotency_key, timestamp, metadata))

    def record_batch(self, events: Iterable[UsageEvent | Mapping[str, Any]]) -> models.BatchResult:
        """Up to 1,000 events in one transaction, a result each; keys generated where missing."""
        return self.send(calls.record_batch(events))

    def report_storage(self, bytes: int, items: int) -> models.StorageReport:
        """The customer's storage now (absolute figures)."""
        return self.send(calls.report_storage(bytes, items))

    def reserve(
        self,
        operation: str,
        quantity: int = 1,
        *,
        idempotency_key: str | None = None,
        ttl_seconds: int | None = None,
    ) -> models.Reservation:
        """Holds ``operation`` x ``quantity`` against the quota and the operation's limits, or raises the
        same denial as ``record`` having held nothing. The hold ends when settled, released or after
        ``ttl_seconds`` (default 300, at most 3600). A key is generated when not given; a retry with
        the same key answers the same reservation (``replayed``), with another quantity ``Conflict``."""
        return self.send(calls.reserve(operation, quantity, idempotency_key, ttl_seconds))

    def settle(self, reservation_id: str, quantity: int) -> models.Settlement:
        """Records the actual ``quantity`` of the reserved operation (0 records nothing billable) and
        frees the hold. Usage above the reservation is recorded too, ``over_limit`` then says it took a
        limit past its limit. The same quantity again answers the first result (``replayed``); another
        quantity, or a released or expired reservation, raises ``Conflict`` (``body["status"]``)."""
        return self.send(calls.settle(reservation_id, quantity))

    def release(self, reservation_id: str) -> models.Reservation:
        """Frees the hold without recording usage; again, or once expired, answers it as it stands.
        A settled reservation raises ``Conflict``."""
        return self.send(calls.release(reservation_id))

    # Billing

    def subscription(self) -> billing.Subscription:
        return self.send(calls.subscription())

    def subscribe(
        self,
        tier: str,
        *,
        interval: str | None = None,
        payment_method_id: str | None = None,
        trial: bool | None = None,
        idempotency_key: str | None = None,
    ) -> billing.BillingChange:
        """Starts the plan's trial, with or without a payment method (a card given is charged when the
        trial ends). ``trial=False`` skips the trial: the card is charged at once."""
        return self.send(calls.subscribe(tier, interval, payment_method_id, trial, idempotency_key))

    def upgrade_preview(self, new_tier: str, *, interval: str | None = None) -> billing.UpgradePreview:
        """What ``upgrade`` would bill, changing nothing; pass its ``proration_date`` to ``upgrade``."""
        return self.send(calls.upgrade_preview(new_tier, interval))

    def upgrade(
        self,
        new_tier: str,
        *,
        interval: str | None = None,
        proration_date: datetime | str | None = None,
        idempotency_key: str | None = None,
    ) -> billing.BillingChange:
        """Up or down, now; with the preview's ``proration_date`` it charges exactly the previewed amount."""
        return self.send(calls.upgrade(new_tier, interval, proration_date, idempotency_key))

    def cancel(self, *, immediate: bool = False, idempotency_key: str | None = None) -> billing.BillingChange:
        return self.send(calls.cancel(immediate, idempotency_key))

    def resume(self, *, idempotency_key: str | None = None) -> billing.BillingChange:
        return self.send(calls.resume(idempotency_key))

    def checkout(
        self,
        tier: str,
        *,
        success_url: str,
        cancel_url: str,
        interval: str | None = None,
        idempotency_key: str | None = None,
    ) -> billing.CheckoutSession:
        return self.send(calls.checkout(tier, success_url, cancel_url, interval, idempotency_key))

    def portal(self, return_url: str, *, idempotency_key: str | None = None) -> billing.Link:
        return self.send(calls.portal(return_url, idempotency_key))

    def invoices(self, limit: int | None = None) -> list[billing.Invoice]:
        return self.send(calls.invoices(limit))

    def payment_methods(self) -> list[billing.PaymentMethod]:
        return self.send(calls.payment_methods())

    def dashboard_link(
        self, *, return_url: str | None = None, embed: bool | None = None, theme: Mapping[str, str] | None = None
    ) -> billing.Link:
        """A one-time link to the customer's billing page, for a browser."""
        return self.send(calls.dashboard_link(return_url, embed, theme))

    def trial_available(self) -> bool:
        return self.send(calls.trial_available())

    # Admin

    def create_customer(
        self,
        *,
        external_id: str | None = None,
        email: str | None = None,
        name: str | None = None,
        plan: str | None = None,
        metadata: Mapping[str, str] | None = None,
        key_name: str | None = None,
    ) -> admin.CreatedCustomer:
        """The customer and its first API key (``api_key.key``, shown this once)."""
        return self.send(calls.create_customer(external_id, email, name, plan, metadata, key_name))

    def list_customers(
        self,
        *,
        limit: int | None = None,
        starting_after: str | None = None,
        plan: str | None = None,
        status: str | None = None,
        search: str | None = None,
        sort: str | None = None,
    ) -> admin.Page[admin.Customer]:
        return self.send(calls.list_customers(limit, starting_after, plan, status, search, sort))

    def get_customer(self, customer_id: str) -> admin.CustomerDetail:
        return self.send(calls.get_customer(customer_id))

    def issue_key(
        self,
        customer_id: str,
        *,
        name: str | None = None,
        owner: str | None = None,
        limits: KeyLimitsInput | None = None,
    ) -> admin.ApiKey:
        """A new key (``key``, shown this once). ``owner`` is who holds it (an email or user id);
        ``limits`` its own limits inside the customer's, e.g. ``{"credits": 30, "requests_per_minute":
        10}`` (whole credits per credit period; ``requests_per_day`` too)."""
        return self.send(calls.issue_key(customer_id, name, owner, limits))

    def update_key(
        self,
        key_id: str,
        *,
        name: str | None | Unchanged = UNCHANGED,
        owner: str | None | Unchanged = UNCHANGED,
        limits: KeyLimitsInput | None | Unchanged = UNCHANGED,
    ) -> admin.ApiKey:
        """Changes a key's name, owner or limits (audited); a field not given stays, None removes it.
        Inside ``limits`` a limit not named stays and None removes it; ``limits=None`` removes them all."""
        return self.send(calls.update_key(key_id, name, owner, limits))

    def usage_by_key(self, customer_id: str) -> admin.UsageByKey:
        """The customer's usage this credit period by key, adding up to its total."""
        return self.send(calls.usage_by_key(customer_id))

    def revoke_key(self, key_id: str) -> bool:
        return self.send(calls.revoke_key(key_id))

    def reactivate(self, customer_id: str, *, reason: str | None = None) -> admin.Customer:
        return self.send(calls.reactivate(customer_id, reason))

    def customer_events(
        self, customer_id: str, *, limit: int | None = None, starting_after: str | None = None
    ) -> admin.Page[admin.AuditEntry]:
        return self.send(calls.customer_events(customer_id, limit, starting_after))

    def list_invoices(
        self,
        *,
        limit: int | None = None,
        starting_after: str | None = None,
        customer_id: str | None = None,
        status: str | None = None,
    ) -> admin.Page[billing.Invoice]:
        return self.send(calls.list_invoices(limit, starting_after, customer_id, status))

    def revenue(self) -> admin.Revenue:
        return self.send(calls.revenue())

    def list_events(
        self,
        *,
        limit: int | None = None,
        starting_after: str | None = None,
        status: str | None = None,
        type: str | None = None,
    ) -> admin.Page[admin.WebhookEvent]:
        return self.send(calls.list_events(limit, starting_after, status, type))

    def replay_event(self, event_id: str) -> JsonObject:
        return self.send(calls.replay_event(event_id))

    def advance_clock(self, seconds: int) -> JsonObject:
        """Test mode only: advances the Stripe test clock and waits for its webhooks."""
        return self.send(calls.advance_clock(seconds))

    # Contracts (admin)

    def list_overrides(self, customer_id: str) -> admin.Overrides:
        """The customer's overrides, in force or expired, each with the plan's value."""
        return self.send(calls.list_overrides(customer_id))

    def set_overrides(
        self,
        customer_id: str,
        *,
        limits: Mapping[str, Any] | None = None,
        features: Mapping[str, bool] | None = None,
        expires_at: datetime | str | None = None,
        reason: str | None = None,
    ) -> admin.Overrides:
        """Overrides limits and features of the customer's plan, in the catalog's names and units, e.g.
        ``limits={"credits": 5000000, "operations": {"tokens": {"month": 1000000}}}`` (credits as
        ``int`` or ``Decimal``; None or ``"unlimited"`` = no limit), ``features={"federation": True}``.
        Keys not named are kept; ``expires_at`` ends every override of the call. Audited."""
        return self.send(calls.set_overrides(customer_id, limits, features, expires_at, reason))

    def remove_override(self, customer_id: str, key: str, *, reason: str | None = None) -> admin.Overrides:
        """Removes one override (``credits``, ``operations.tokens.month``, ``features.federation``)."""
        return self.send(calls.remove_override(customer_id, key, reason))

    def remove_overrides(self, customer_id: str, *, reason: str | None = None) -> admin.Overrides:
        """Removes every override of the customer: its plan applies again."""
        return self.send(calls.remove_overrides(customer_id, reason))

    def create_grant(
        self,
        customer_id: str,
        *,
        credits: CreditFigure | None = None,
        operation: str | None = None,
        quantity: int | None = None,
        expires: str = "period",
        expires_at: datetime | str | None = None,
        idempotency_key: str | None = None,
        reason: str | None = None,
    ) -> admin.Grant:
        """Grants ``credits`` (``Decimal``, ``int`` or ``str``, at most 3 decimals), or ``quantity`` units
        of ``operation``, spent before the plan's quota; ``expires`` is ``period`` or ``until_used``
        (optionally until the credit period of ``expires_at``). A key is generated when not given; a
        retry with the same key answers the first grant, another grant under it raises ``Conflict``."""
        return self.send(
            calls.create_grant(customer_id, credits, operation, quantity, expires, expires_at, idempotency_key, reason)
        )

    def list_grants(self, customer_id: str) -> list[admin.Grant]:
        """Every grant of the customer, oldest first, with what is used and left now."""
        return self.send(calls.list_grants(customer_id))

    def revoke_grant(self, customer_id: str, grant_id: str) -> admin.Grant:
        """Takes back what is unspent of a grant (what was used stays used); again changes nothing."""
        return self.send(calls.revoke_grant(customer_id, grant_id))

    def list_prices(self, customer_id: str, *, history: bool = False) -> list[admin.CustomerPrice]:
        """The customer's negotiated prices, oldest first; ``history`` adds the replaced and removed ones."""
        return self.send(calls.list_prices(customer_id, history))

    def set_price(
        self, customer_id: str, plan: str, interval: str, amount: int, *, reason: str | None = None
    ) -> admin.PriceChange:
        """Sells ``plan`` on ``interval`` (``month`` or ``year``) to this customer at ``amount`` minor units
        (``200000`` = $2,000.00). The same amount again changes nothing (``changed`` False). Audited."""
        return self.send(calls.set_price(customer_id, plan, interval, amount, reason))

    def remove_price(self, customer_id: str, plan: str, interval: str) -> admin.CustomerPrice:
        """Sells the catalog price again to the customer's future subscriptions and plan changes."""
        return self.send(calls.remove_price(customer_id, plan, interval))
