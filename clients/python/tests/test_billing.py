"""The billing methods against the service's built-in Stripe emulator."""

from __future__ import annotations

import pytest
from conftest import Service

from tollgate import Client, Conflict, PaymentFailed


def test_a_trial_then_upgrade_cancel_and_resume(client: Client) -> None:
    assert client.trial_available() is True
    assert client.subscription().subscription_tier == "free"
    started = client.subscribe("pro", idempotency_key="signup-1")
    assert (started.action, started.subscription.status, started.subscription.subscription_tier) == (
        "create_subscription",
        "trialing",
        "pro",
    )
    with pytest.raises(Conflict):
        client.subscribe("pro")
    preview = client.upgrade_preview("enterprise")
    assert (preview.action, preview.direction) == ("change_price", "upgrade")
    assert preview.proration_date is not None and preview.amount_due == sum(line.amount for line in preview.lines)
    upgraded = client.upgrade("enterprise", proration_date=preview.proration_date)
    assert upgraded.subscription.subscription_tier == "enterprise"
    canceled = client.cancel()
    assert canceled.action == "cancel_at_period_end" and canceled.subscription.cancel_at_period_end
    assert client.resume().action == "undo_cancel"
    assert client.subscription().subscription_tier == "enterprise"
    assert client.invoices(limit=5)[0].billing_reason == "subscription_create"


def test_a_card_starts_the_trial_and_is_charged_only_when_it_ends(service: Service) -> None:
    created = service.new_customer()
    assert created.api_key.key is not None
    with Client(service.url, api_key=created.api_key.key) as client:
        assert client.subscribe("pro", payment_method_id="pm_card_visa").subscription.status == "trialing"
        assert all(invoice.amount_paid == 0 for invoice in client.invoices())
        [card] = client.payment_methods()
        assert (card.brand, card.last4, card.default) == ("visa", "4242", True)


def test_a_card_without_the_trial_is_charged_and_shown(service: Service) -> None:
    created = service.new_customer(name="Acme Labs")
    assert created.api_key.key is not None
    with Client(service.url, api_key=created.api_key.key) as client:
        started = client.subscribe("pro", payment_method_id="pm_card_visa", trial=False)
        assert started.subscription.status == "active"
        assert (started.subscription.customer_name, started.subscription.customer_email) == (
            "Acme Labs",
            created.customer.email,
        )
        [invoice] = client.invoices()
        assert (invoice.amount_paid, invoice.currency, invoice.status) == (2900, "usd", "paid")
        [card] = client.payment_methods()
        assert (card.brand, card.last4, card.default) == ("visa", "4242", True)


def test_a_declined_card_raises_payment_failed(client: Client) -> None:
    with pytest.raises(PaymentFailed) as declined:
        client.subscribe("pro", payment_method_id="pm_card_visa_chargeDeclined")
    assert declined.value.status == 402
    assert declined.value.decline_code == "generic_decline"
    assert client.subscription().subscription_tier == "free"


def test_checkout_portal_and_dashboard_link(client: Client) -> None:
    session = client.checkout("pro", success_url="https://app.example/ok", cancel_url="https://app.example/no")
    assert session.session_id.startswith("cs_test_") and session.url.startswith("http")
    assert client.portal("https://app.example/settings").url.startswith("http")
    link = client.dashboard_link(return_url="https://app.example/settings", embed=True, theme={"accent": "#0a7"})
    assert "/billing?token=tgl_" in link.url and "embed=1" in link.url
    assert link.expires_at is not None
