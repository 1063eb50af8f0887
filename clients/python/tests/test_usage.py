"""The usage methods against the real service: figures exact, denials as their error classes."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import pytest
from conftest import Service

from tollgate import (
    AsyncClient,
    Client,
    Conflict,
    CreatedCustomer,
    Forbidden,
    InvalidRequest,
    NotFound,
    QuotaExceeded,
    RateLimited,
    Unauthorized,
    UsageEvent,
)


def test_record_debits_exact_decimal_credits_and_returns_the_decision_headers(client: Client) -> None:
    first = client.record("search", 3)
    assert first.cost == Decimal("0.3")
    assert first.credits_used == Decimal("0.3")
    assert first.quota_remaining == Decimal("99.7")
    assert first.monthly_limit == Decimal("100")
    assert first.event_id is not None and first.event_id.startswith("usage_")
    assert first.headers["x-tier"] == "free"
    assert first.headers["x-credits-remaining"] == "99.7"
    assert first.requests_per_minute_limit == 10
    second = client.record("search", 1)
    assert second.credits_used == Decimal("0.4")  # 0.3 + 0.1 exactly, never 0.40000000000000002
    assert client.usage().credits_used == Decimal("0.4")


def test_record_generates_an_idempotency_key_and_a_replay_counts_once(client: Client) -> None:
    generated = client.record("capture")
    assert len(generated.idempotency_key) == 32
    again = client.record("capture", idempotency_key=generated.idempotency_key)
    assert again.replayed and again.event_id == generated.event_id
    assert client.usage().credits_used == Decimal("1")
    with pytest.raises(Conflict) as conflict:
        client.record("capture", 2, idempotency_key=generated.idempotency_key)
    assert conflict.value.status == 409
    assert conflict.value.event_id == generated.event_id


def test_record_with_a_timestamp(client: Client) -> None:
    recorded = client.record("capture", timestamp=datetime.now(timezone.utc))
    assert recorded.event_id is not None
    with pytest.raises(ValueError, match="aware datetime"):
        client.record("capture", timestamp=datetime(2026, 1, 1))


def test_record_with_metadata_keeps_it_in_the_idempotency_fingerprint(client: Client) -> None:
    first = client.record("capture", idempotency_key="meta-1", metadata={"model": "gpt-4o", "region": "eu"})
    again = client.record("capture", idempotency_key="meta-1", metadata={"region": "eu", "model": "gpt-4o"})
    assert again.replayed and again.event_id == first.event_id
    with pytest.raises(Conflict):
        client.record("capture", idempotency_key="meta-1", metadata={"model": "small"})
    with pytest.raises(InvalidRequest) as invalid:
        client.record("capture", metadata={"Model": "x"})
    assert [issue.path for issue in invalid.value.issues] == ["metadata.Model"]
    batch = client.record_batch([UsageEvent("capture", idempotency_key="meta-1", metadata={"model": "other"})])
    assert [r.status for r in batch.results] == ["conflict"]
    client.record_batch([UsageEvent("search", metadata={"model": "small"})])
    page = client.usage_events(limit=1)
    assert page.has_more and page.next_starting_after == page.data[0].id
    assert page.data[0].operation == "search" and page.data[0].metadata == {"model": "small"}
    assert page.data[0].credits == Decimal("0.1")
    rest = client.usage_events(after=page.next_starting_after)
    assert [event.metadata for event in rest.data] == [{"model": "gpt-4o", "region": "eu"}]


def test_check_counts_nothing_and_tells_why_not(client: Client) -> None:
    allowed = client.check("reflect", 1)
    assert allowed.allowed and allowed.reason is None and allowed.cost == Decimal("2")
    refused = client.check("reflect", 60)
    assert not refused.allowed
    assert refused.reason == "quota_exceeded"
    assert refused.upgrade_url is not None and refused.upgrade_url.endswith("/billing")
    assert refused.retry_after is not None and refused.retry_after > 0
    assert client.usage().credits_used == Decimal("0")


def test_quota_exceeded_carries_its_details_and_records_nothing(client: Client) -> None:
    with pytest.raises(QuotaExceeded) as denied:
        client.record("capture", 101)
    error = denied.value
    assert (error.status, error.code) == (429, "quota_exceeded")
    assert error.upgrade_url is not None and error.upgrade_url.endswith("/billing")
    assert error.retry_after is not None and error.retry_after > 0
    assert error.plan == "free"
    assert error.headers["x-tier"] == "free"
    assert client.usage().credits_used == Decimal("0")


def test_the_eleventh_record_in_a_minute_is_rate_limited(client: Client) -> None:
    recorded = 0
    # At most 10 a minute; a fixed window may turn over mid-loop, so keep going until refused.
    with pytest.raises(RateLimited) as denied:
        for _ in range(25):
            client.record("search")
            recorded += 1
    assert recorded >= 10
    assert denied.value.retry_after is not None and 0 < denied.value.retry_after <= 60
    assert denied.value.tier == "free"
    assert client.usage().credits_used == Decimal(recorded) / 10


def test_record_batch_reports_each_event(client: Client) -> None:
    result = client.record_batch(
        [
            UsageEvent("capture", idempotency_key="e1"),
            UsageEvent("search", quantity=2),
            {"operation": "capture", "idempotency_key": "e1"},
            {"operation": "teleport"},
        ]
    )
    assert [r.status for r in result.results] == ["recorded", "recorded", "duplicate", "invalid"]
    assert result.results[2].event_id == result.results[0].event_id
    assert result.results[3].error is not None and result.results[3].error["error"] == "invalid_request"
    assert result.summary == {"recorded": 2, "duplicate": 1, "denied": 0, "conflict": 0, "invalid": 1}
    assert client.usage().credits_used == Decimal("1.2")


def test_usage_entitlements_history_storage_and_plans(client: Client) -> None:
    client.record("capture", 2)
    usage = client.usage()
    assert (usage.subscription_tier, usage.status, usage.quota_exceeded) == ("free", "active", False)
    assert usage.usage_percentage == 2.0
    assert usage.period_start < usage.period_end
    assert usage.raw["credits_used"] in ("2", 2)
    entitlements = client.entitlements()
    assert entitlements.features["semantic_search"] and not entitlements.features["federation"]
    assert entitlements.operation_costs["search"] == Decimal("0.1")
    capture = entitlements.operations["capture"]["month"]
    assert (capture.used, capture.limit, capture.remaining) == (2, None, None)
    assert capture.resets_at == usage.period_end == usage.operations["capture"]["month"].resets_at
    assert entitlements.limits.credits_per_month == Decimal("100")
    history = client.history("day")
    assert sum(bucket.credits for bucket in history.data) == Decimal("2")
    with pytest.raises(InvalidRequest) as invalid:
        client.history("week")
    assert [issue.path for issue in invalid.value.issues] == ["bucket"]
    report = client.report_storage(1_000, 3)
    assert (report.storage_bytes, report.storage_items, report.over_limit) == (1_000, 3, False)
    assert client.usage().storage_bytes == 1_000
    plans = client.plans()
    assert {"free", "pro"} <= set(plans.plan_ids) and plans.operations["reflect"] == Decimal("2")


def test_settle_records_the_actual_usage_below_at_and_above_the_reservation(client: Client) -> None:
    held = client.reserve("reflect", 10, ttl_seconds=120)
    assert (held.status, held.operation, held.quantity, held.credits_held) == ("held", "reflect", 10, Decimal("20"))
    assert held.reservation_id.startswith("rsv_") and held.expires_at.tzinfo is not None
    assert (held.settled_quantity, held.event_id, held.replayed) == (None, None, False)
    assert held.headers["x-tier"] == "free"
    below = client.settle(held.reservation_id, 4)
    assert (below.status, below.quantity, below.settled_quantity) == ("settled", 10, 4)
    assert below.event_id is not None and below.event_id.startswith("usage_")
    assert (below.credits_used, below.over_limit, below.replayed) == (Decimal("8"), False, False)
    at = client.settle(client.reserve("reflect", 5).reservation_id, 5)
    assert (at.settled_quantity, at.credits_used, at.over_limit) == (5, Decimal("18"), False)
    # Above the reservation it is still recorded (it happened), past the quota: over_limit.
    above = client.settle(client.reserve("reflect", 5).reservation_id, 45)
    assert (above.settled_quantity, above.credits_used, above.over_limit) == (45, Decimal("108"), True)
    usage = client.usage()
    assert usage.credits_used == Decimal("108") and usage.quota_exceeded
    with pytest.raises(QuotaExceeded):
        client.reserve("search", 1)


def test_a_held_reservation_denies_what_it_leaves_no_room_for_until_released(client: Client) -> None:
    held = client.reserve("capture", 60)
    with pytest.raises(QuotaExceeded):
        client.record("capture", 50)
    with pytest.raises(QuotaExceeded) as denied:
        client.reserve("capture", 41)
    assert denied.value.retry_after is not None
    released = client.release(held.reservation_id)
    assert (released.reservation_id, released.status, released.settled_quantity) == (
        held.reservation_id,
        "released",
        None,
    )
    assert client.release(held.reservation_id).status == "released"
    assert client.record("capture", 50).credits_used == Decimal("50")
    with pytest.raises(Conflict) as conflict:
        client.settle(held.reservation_id, 1)
    assert conflict.value.body["status"] == "released"
    assert client.usage().credits_used == Decimal("50")


def test_settling_twice_answers_the_first_result_and_another_quantity_conflicts(
    service: Service, client: Client
) -> None:
    held = client.reserve("capture", 5, idempotency_key="job-1")
    again = client.reserve("capture", 5, idempotency_key="job-1")
    assert again.replayed and again.reservation_id == held.reservation_id
    with pytest.raises(Conflict):
        client.reserve("capture", 6, idempotency_key="job-1")
    first = client.settle(held.reservation_id, 3)
    second = client.settle(held.reservation_id, 3)
    assert second.replayed and not first.replayed
    assert (second.event_id, second.credits_used, second.settled_quantity) == (first.event_id, Decimal("3"), 3)
    with pytest.raises(Conflict) as conflict:
        client.settle(held.reservation_id, 4)
    assert conflict.value.body["status"] == "settled"
    with pytest.raises(Conflict):
        client.release(held.reservation_id)
    assert client.usage().credits_used == Decimal("3")
    with pytest.raises(NotFound):
        client.settle("rsv_unknown", 1)
    other = service.new_customer()
    assert other.api_key.key is not None
    with client.with_api_key(other.api_key.key) as stranger, pytest.raises(NotFound):
        stranger.release(held.reservation_id)


async def test_the_async_client_reserves_settles_and_releases(service: Service, customer: CreatedCustomer) -> None:
    assert customer.api_key.key is not None
    async with AsyncClient(service.url, api_key=customer.api_key.key) as client:
        held = await client.reserve("reflect", 3)
        settled = await client.settle(held.reservation_id, 2)
        assert (settled.status, settled.credits_used, settled.over_limit) == ("settled", Decimal("4"), False)
        released = await client.release((await client.reserve("reflect", 1)).reservation_id)
        assert released.status == "released"
        with pytest.raises(Conflict):
            await client.settle(released.reservation_id, 1)


def test_a_bad_key_and_the_wrong_kind_of_key(service: Service) -> None:
    with Client(service.url, api_key="tg_live_wrong") as wrong, pytest.raises(Unauthorized) as denied:
        wrong.usage()
    assert denied.value.message == "A valid API key is required."
    with service.admin() as admin, pytest.raises(Forbidden):
        admin.usage()


async def test_the_async_client_records_and_reads(service: Service, customer: CreatedCustomer) -> None:
    assert customer.api_key.key is not None
    async with AsyncClient(service.url, api_key=customer.api_key.key) as client:
        recorded = await client.record("reflect", 2)
        assert recorded.cost == Decimal("4")
        assert (await client.usage()).credits_used == Decimal("4")
        with pytest.raises(QuotaExceeded):
            await client.record("reflect", 100)
        keyed = client.with_api_key("tg_live_wrong")
        with pytest.raises(Unauthorized):
            await keyed.entitlements()
