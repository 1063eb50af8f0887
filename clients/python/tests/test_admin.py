"""The admin methods: customers, keys, reactivation, invoices, revenue, events."""

from __future__ import annotations

from decimal import Decimal

import pytest
from conftest import Service

from tollgate import Client, Conflict, InvalidRequest, NotFound, Unauthorized


def test_customers_are_created_listed_and_read(service: Service) -> None:
    with service.admin() as admin:
        created = admin.create_customer(external_id="py-user-1", name="Ada", plan="pro", metadata={"team": "a"})
        assert created.customer.plan == "pro" and created.customer.metadata == {"team": "a"}
        assert created.api_key.key is not None and created.api_key.key.startswith(created.api_key.prefix)
        with pytest.raises(Conflict):
            admin.create_customer(external_id="py-user-1")
        with pytest.raises(InvalidRequest) as invalid:
            admin.create_customer(plan="platinum")
        assert [issue.path for issue in invalid.value.issues] == ["plan"]

        found = admin.list_customers(search="py-user-1")
        assert [c.id for c in found.data] == [created.customer.id]
        usage = found.data[0].usage
        assert usage is not None and (usage.subscription_tier, usage.credits_used) == ("pro", Decimal(0))
        service.new_customer()
        first = admin.list_customers(limit=1, sort="-created")
        assert first.has_more and first.next_starting_after == first.data[0].id
        following = admin.list_customers(limit=1, sort="-created", starting_after=first.next_starting_after)
        assert following.data[0].id != first.data[0].id

        detail = admin.get_customer(created.customer.id)
        assert detail.customer.name == "Ada" and detail.usage.subscription_tier == "pro"
        assert [k.id for k in detail.api_keys] == [created.api_key.id]
        assert detail.api_keys[0].key is None
        with pytest.raises(NotFound):
            admin.get_customer("tgcus_missing")


def test_keys_are_issued_and_revoked(service: Service) -> None:
    created = service.new_customer()
    with service.admin() as admin:
        issued = admin.issue_key(created.customer.id, name="ci")
        assert issued.key is not None and issued.name == "ci"
        with Client(service.url, api_key=issued.key) as customer:
            assert customer.usage().customer_id == created.customer.id
            assert admin.revoke_key(issued.id) is True
            with pytest.raises(Unauthorized):
                customer.usage()
        actions = [entry.action for entry in admin.customer_events(created.customer.id, limit=10).data]
        assert actions[:2] == ["api_key.revoked", "api_key.issued"]


def test_a_suspended_customer_is_reactivated(service: Service) -> None:
    created = service.new_customer()
    with service.admin() as admin:
        with pytest.raises(Conflict):
            admin.reactivate(created.customer.id, reason="not suspended yet")
        service.suspend(created.customer.id)
        reactivated = admin.reactivate(created.customer.id, reason="paid by bank transfer")
        assert reactivated.status == "active"
        assert admin.customer_events(created.customer.id).data[0].action == "customer.reactivated"


def test_invoices_revenue_and_the_webhook_log(service: Service) -> None:
    with service.admin() as admin:
        assert admin.list_invoices(limit=5).has_more is False
        revenue = admin.revenue()
        assert revenue.currency == "usd" and revenue.mrr >= 0 and isinstance(revenue.raw["churn"], dict)
        events = admin.list_events(limit=5)
        assert isinstance(events.data, list)
        with pytest.raises(NotFound):
            admin.replay_event("evt_missing")
        # Only a service started with STRIPE_TEST_CLOCK has the clock route.
        with pytest.raises(NotFound):
            admin.advance_clock(60)
