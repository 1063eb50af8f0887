"""Enterprise contracts against the real service: overrides, grants, team keys with their own limits,
negotiated prices; the customer sees them in its usage, entitlements, subscription and denials."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import pytest
from conftest import Service

from tollgate import (
    AsyncClient,
    Client,
    Conflict,
    ContractLimit,
    ContractPrice,
    CreatedCustomer,
    InvalidRequest,
    KeyLimits,
    KeyQuota,
    NotFound,
    QuotaExceeded,
    RateLimited,
)


def customer_client(service: Service, created: CreatedCustomer) -> Client:
    assert created.api_key.key is not None
    return Client(service.url, api_key=created.api_key.key)


def test_an_override_shows_in_usage_and_entitlements_and_names_the_contract_in_a_denial(service: Service) -> None:
    created = service.new_customer()
    customer_id = created.customer.id
    with service.admin() as admin, customer_client(service, created) as client:
        with pytest.raises(QuotaExceeded) as plan_quota:
            client.record("capture", 101)
        assert plan_quota.value.limit_source == "plan" and plan_quota.value.scope is None

        # Credits as an exact Decimal with 3 decimals: sent as a JSON number, never a float.
        changed = admin.set_overrides(
            customer_id,
            limits={"credits": Decimal("250.125"), "requests_per_minute": 4},
            features={"federation": True},
            reason="Q1 pilot",
        )
        assert changed.plan == "free" and changed.audit_id is not None
        credits = changed.get("credits")
        assert credits is not None
        assert (credits.value, credits.plan_value, credits.in_force, credits.reason) == (
            Decimal("250.125"),
            100,
            True,
            "Q1 pilot",
        )
        assert [o.key for o in changed.overrides] == ["credits", "features.federation", "requests_per_minute"]
        assert admin.list_overrides(customer_id).overrides == changed.overrides
        assert admin.get_customer(customer_id).overrides == changed.overrides

        usage = client.usage()
        assert (usage.monthly_limit, usage.requests_per_minute_limit) == (Decimal("250.125"), 4)
        assert ContractLimit("requests_per_minute", 4, 10, None) in usage.contract
        entitlements = client.entitlements()
        assert entitlements.features["federation"] is True
        assert entitlements.limits.credits_per_month == Decimal("250.125")
        assert [c.key for c in entitlements.contract] == ["credits", "features.federation", "requests_per_minute"]

        # 250 credits fit the contract's quota (the plan's 100 would not); 1.125 more do not.
        assert client.record("capture", 250).quota_remaining == Decimal("0.125")
        with pytest.raises(QuotaExceeded) as contract_quota:
            client.record("capture", 1)
        assert contract_quota.value.limit_source == "contract"
        usage_when_refused = contract_quota.value.usage
        assert usage_when_refused is not None and usage_when_refused.monthly_limit == Decimal("250.125")

        # More credits, then the contract's 4 requests a minute refuse a request, naming the contract.
        admin.set_overrides(customer_id, limits={"credits": 1000})
        with pytest.raises(RateLimited) as rate:
            # Enough for a minute window that turns over during the loop.
            for _ in range(10):
                client.record("search")
        assert (rate.value.limit_source, rate.value.limit, rate.value.window) == ("contract", 4, "minute")

        left = admin.remove_override(customer_id, "credits", reason="pilot ended")
        assert [o.key for o in left.overrides] == ["features.federation", "requests_per_minute"]
        with pytest.raises(NotFound):
            admin.remove_override(customer_id, "credits")
        with pytest.raises(InvalidRequest) as invalid:
            admin.set_overrides(
                customer_id, limits={"credits": -1}, expires_at=datetime(2000, 1, 1, tzinfo=timezone.utc)
            )
        assert {issue.path for issue in invalid.value.issues} == {"limits.credits", "expires_at"}
        assert admin.remove_overrides(customer_id, reason="contract over").overrides == []
        assert client.usage().contract == [] and client.entitlements().features["federation"] is False
        actions = [entry.action for entry in admin.customer_events(customer_id, limit=3).data]
        assert actions == ["contract.overrides_removed", "contract.overrides_removed", "contract.overrides_set"]


def test_a_grant_is_idempotent_counts_in_usage_before_the_quota_and_is_revoked(service: Service) -> None:
    created = service.new_customer()
    customer_id = created.customer.id
    with service.admin() as admin, customer_client(service, created) as client:
        made = admin.create_grant(
            customer_id, credits=Decimal("50.5"), expires="until_used", idempotency_key="deal-1", reason="bonus"
        )
        assert (made.kind, made.operation, made.amount, made.remaining, made.status) == (
            "credits",
            None,
            Decimal("50.5"),
            Decimal("50.5"),
            "active",
        )
        # A retry with the same key answers the first grant; another grant under it is a conflict.
        again = admin.create_grant(
            customer_id, credits=Decimal("50.5"), expires="until_used", idempotency_key="deal-1", reason="bonus"
        )
        assert again == made
        with pytest.raises(Conflict):
            admin.create_grant(customer_id, credits=7, expires="until_used", idempotency_key="deal-1")
        assert admin.list_grants(customer_id) == [made]

        client.record("capture", 20)
        usage = client.usage()
        assert (usage.monthly_limit, usage.quota_remaining) == (Decimal("100"), Decimal("130.5"))
        [grant] = usage.grants
        assert (grant.id, grant.used, grant.remaining, grant.expires) == (
            made.id,
            Decimal("20"),
            Decimal("30.5"),
            "until_used",
        )
        # The demo's free plan limits no operation per month: units cannot be granted.
        with pytest.raises(InvalidRequest):
            admin.create_grant(customer_id, operation="search", quantity=10, idempotency_key="units-1")

        revoked = admin.revoke_grant(customer_id, made.id)
        assert (revoked.status, revoked.used, revoked.remaining) == ("revoked", Decimal("20"), Decimal("0"))
        # What the grant paid for stays paid by it: the plan's 100 credits are all left.
        after = client.usage()
        assert (after.grants, after.credits_used, after.quota_remaining) == ([], Decimal("20"), Decimal("100"))
        with pytest.raises(NotFound):
            admin.revoke_grant(customer_id, "tggrant_missing")


def test_a_key_with_its_own_limits_is_refused_with_the_key_scope(service: Service) -> None:
    created = service.new_customer()
    customer_id = created.customer.id
    with service.admin() as admin, customer_client(service, created) as lead:
        issued = admin.issue_key(customer_id, name="intern", owner="ana@example.com", limits={"credits": 2})
        assert issued.key is not None and issued.owner == "ana@example.com"
        assert issued.limits == KeyLimits(credits=Decimal(2), requests_per_minute=None, requests_per_day=None)
        with pytest.raises(InvalidRequest) as invalid:
            admin.issue_key(customer_id, limits={"credits": -1})
        assert [issue.path for issue in invalid.value.issues] == ["limits.credits"]

        with Client(service.url, api_key=issued.key) as intern:
            intern.record("capture", 2)
            with pytest.raises(QuotaExceeded) as refused:
                intern.record("capture", 1)
            assert (refused.value.scope, refused.value.key_id, refused.value.limit_source) == (
                "key",
                issued.id,
                "plan",
            )
            assert refused.value.key_usage == KeyQuota(Decimal(2), Decimal(2), Decimal(1))
            standing = intern.usage().key
            assert standing is not None
            assert (standing.id, standing.credits_used, standing.credits_remaining) == (
                issued.id,
                Decimal(2),
                Decimal(0),
            )
            # The customer's other key is not held by the intern's limit, and has no standing of its own.
            lead.record("capture", 3)
            assert lead.usage().key is None

            updated = admin.update_key(issued.id, owner=None, limits={"credits": 10, "requests_per_minute": 1})
            assert (updated.name, updated.owner) == ("intern", None)
            assert updated.limits == KeyLimits(credits=Decimal(10), requests_per_minute=1, requests_per_day=None)
            with pytest.raises(RateLimited) as rate:
                for _ in range(4):
                    intern.record("search")
            assert (rate.value.scope, rate.value.key_id, rate.value.limit) == ("key", issued.id, 1)
            assert admin.update_key(issued.id, limits=None).limits is None

        by_key = admin.usage_by_key(customer_id)
        lines = {line.key_id: line for line in by_key.keys}
        intern_line = lines[issued.id]
        # 2 credits of capture, then one search of 0.1 per request admitted before the minute limit.
        searches = intern_line.events - 1
        assert searches >= 1 and intern_line.credits_used == Decimal(2) + Decimal("0.1") * searches
        assert intern_line.owner is None and lines[created.api_key.id].credits_used == Decimal(3)
        total = sum((line.credits_used for line in by_key.keys), by_key.unattributed.credits_used)
        assert total == by_key.credits_used == Decimal(5) + Decimal("0.1") * searches
        detail = admin.get_customer(customer_id)
        [intern_usage] = [key.usage for key in detail.api_keys if key.id == issued.id]
        assert intern_usage is not None and intern_usage.events == intern_line.events


def test_a_negotiated_price_is_listed_and_billed(service: Service) -> None:
    created = service.new_customer()
    customer_id = created.customer.id
    with service.admin() as admin, customer_client(service, created) as client:
        set_once = admin.set_price(customer_id, "pro", "month", 200000, reason="MSA 2026-014")
        assert set_once.changed and set_once.replaced is None
        price = set_once.price
        assert (price.plan, price.interval, price.amount, price.currency, price.active) == (
            "pro",
            "month",
            200000,
            "usd",
            True,
        )
        assert price.stripe_price_id.startswith("price_") and price.reason == "MSA 2026-014"
        # The same amount again changes nothing.
        assert admin.set_price(customer_id, "pro", "month", 200000).changed is False
        assert admin.list_prices(customer_id) == [price]
        with pytest.raises(InvalidRequest) as invalid:
            admin.set_price(customer_id, "free", "month", 100)
        assert [issue.path for issue in invalid.value.issues] == ["plan"]

        assert client.subscription().contract_prices == [ContractPrice("pro", "month", 200000, "usd")]
        assert client.subscription().price is None
        client.subscribe("pro", idempotency_key="msa-signup")
        billed = client.subscription().price
        assert billed is not None and (billed.amount, billed.interval, billed.contract) == (200000, "month", True)

        removed = admin.remove_price(customer_id, "pro", "month")
        assert removed.id == price.id and removed.active is False and removed.removed_by is not None
        assert admin.list_prices(customer_id) == []
        assert [p.id for p in admin.list_prices(customer_id, history=True)] == [price.id]
        assert client.subscription().contract_prices == []
        with pytest.raises(NotFound):
            admin.remove_price(customer_id, "pro", "month")


async def test_the_async_client_sets_overrides_and_grants(service: Service) -> None:
    created = service.new_customer()
    customer_id = created.customer.id
    assert created.api_key.key is not None
    async with AsyncClient(service.url, api_key=service.admin_key) as admin:
        customer = admin.with_api_key(created.api_key.key)
        overrides = await admin.set_overrides(customer_id, limits={"credits": 5})
        assert [(o.key, o.value) for o in overrides.overrides] == [("credits", 5)]
        grant = await admin.create_grant(customer_id, credits="2.5", idempotency_key="async-1")
        assert grant.expires == "period" and grant.amount == Decimal("2.5")
        assert await admin.create_grant(customer_id, credits="2.5", idempotency_key="async-1") == grant
        usage = await customer.usage()
        assert (usage.monthly_limit, usage.quota_remaining) == (Decimal(5), Decimal("7.5"))
        await customer.record("capture", 7)
        with pytest.raises(QuotaExceeded) as refused:
            await customer.record("capture", 1)
        assert refused.value.limit_source == "contract"
        assert [g.remaining for g in await admin.list_grants(customer_id)] == [Decimal(0)]
        assert (await admin.remove_overrides(customer_id)).overrides == []
