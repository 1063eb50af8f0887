"""Bodies of newer services: credit figures as JSON numbers, parsed exactly, and the details that
denials carry (usage, tier/limit/window, feature/current_tier, current_usage)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import fault_server
import pytest
from fault_server import FaultServer

from tollgate import (
    Client,
    FeatureNotAvailable,
    LimitsUnavailable,
    PayloadTooLarge,
    QuotaExceeded,
    RateLimited,
    RetryPolicy,
    StorageLimitExceeded,
    StoreUnavailable,
    TollgateError,
    Unavailable,
    _wire,
)

# Numbers written out as the service writes them; 0.1 + 0.2 must stay 0.3 exactly.
USAGE_AS_NUMBERS = """{"customer_id": "tgcus_1", "subscription_tier": "pro", "credits_used": 4250.1,
 "monthly_limit": 100000, "quota_remaining": 95749.9, "usage_percentage": 4.25, "quota_exceeded": false,
 "overage_used": 0, "period_start": "2026-01-01T00:00:00.000Z", "period_end": "2026-02-01T00:00:00.000Z",
 "status": "active", "in_trial": false, "trial_end_date": null, "grace_period_end": null,
 "storage_bytes": 10, "storage_bytes_limit": null, "storage_items": 1, "storage_items_limit": null,
 "operations": {"search": {"day": {"used": 3, "limit": 5, "remaining": 2, "resets_at": "2026-01-02T00:00:00.000Z"},
                           "month": {"used": 30, "limit": null, "remaining": null,
                                     "resets_at": "2026-02-01T00:00:00.000Z"}}}}"""


@pytest.fixture
def faults(request: pytest.FixtureRequest) -> Iterator[FaultServer]:
    yield from fault_server.serve(request.param)


@pytest.mark.parametrize("faults", [[(200, USAGE_AS_NUMBERS, {})]], indirect=True)
def test_credit_figures_sent_as_numbers_are_exact_decimals(faults: FaultServer) -> None:
    with Client(faults.url, api_key="k") as client:
        usage = client.usage()
    assert usage.credits_used == Decimal("4250.1")
    assert usage.quota_remaining == Decimal("95749.9")
    assert usage.monthly_limit == Decimal("100000")
    assert usage.credits_used + usage.quota_remaining == Decimal("100000.0")
    day, month = usage.operations["search"]["day"], usage.operations["search"]["month"]
    assert (day.used, day.limit, day.remaining) == (
        3,
        5,
        2,
    ) and day.resets_at.isoformat() == "2026-01-02T00:00:00+00:00"
    assert (month.used, month.limit, month.remaining) == (30, None, None)
    # A service from before contracts: no overrides, no grants, no key standing.
    assert (usage.contract, usage.grants, usage.key) == ([], [], None)


def test_credit_figures_are_sent_as_exact_json_numbers_never_floats() -> None:
    body = {"credits": Decimal("0.1") + Decimal("0.2"), "limits": {"credits": Decimal("1E+3")}, "name": "é"}
    assert _wire.dumps(body) == '{"credits":0.3,"limits":{"credits":1000},"name":"é"}'
    with pytest.raises(ValueError):
        _wire.dumps({"credits": Decimal("NaN")})
    with Client("http://127.0.0.1:9", api_key="k") as client, pytest.raises(TypeError, match="credits"):
        client.create_grant("tgcus_1", credits=0.1, idempotency_key="k")  # type: ignore[arg-type]


QUOTA = {
    "error": "quota_exceeded",
    "message": "Monthly quota exceeded. Used 100/100 credits.",
    "upgrade_url": "https://app.example/billing",
    "retry_after": 3600,
    "usage": {
        "customer_id": "tgcus_1",
        "subscription_tier": "free",
        "credits_used": 100,
        "monthly_limit": 100,
        "quota_remaining": 0,
        "usage_percentage": 100,
    },
}
RATE = {"error": "rate_limited", "message": "Too many.", "tier": "free", "limit": 10, "window": "minute"}
FEATURE = {"error": "feature_not_available", "message": "No.", "feature": "federation", "current_tier": "free"}
STORAGE = {
    "error": "storage_limit_exceeded",
    "message": "Storage limit exceeded (this request would store 1001 of 1000 bytes).",
    "current_usage": {"bytes": 1000, "items": 0},
    "requested": {"bytes": 1, "items": 0},
    "limits": {"bytes": 1000, "items": None},
    "tier": "free",
}


@pytest.mark.parametrize(
    "faults",
    [[(429, QUOTA, {}), (429, RATE, {"Retry-After": "42"}), (403, FEATURE, {}), (507, STORAGE, {}), (418, "tea", {})]],
    indirect=True,
)
def test_error_classes_read_the_details_when_present(faults: FaultServer) -> None:
    with Client(faults.url, api_key="k") as client:
        with pytest.raises(QuotaExceeded) as quota:
            client.record("capture")
        usage = quota.value.usage
        assert usage is not None and usage.customer_id == "tgcus_1"
        assert (usage.credits_used, usage.monthly_limit, usage.quota_remaining) == (
            Decimal(100),
            Decimal(100),
            Decimal(0),
        )
        assert quota.value.upgrade_url == "https://app.example/billing" and quota.value.retry_after == 3600

        with pytest.raises(RateLimited) as rate:
            client.record("capture")
        assert (rate.value.tier, rate.value.limit, rate.value.window, rate.value.retry_after) == (
            "free",
            10,
            "minute",
            42,
        )

        with pytest.raises(FeatureNotAvailable) as feature:
            client.record("capture")
        assert (feature.value.feature, feature.value.current_tier, feature.value.plan) == ("federation", "free", "free")

        with pytest.raises(StorageLimitExceeded) as storage:
            client.record("capture")
        assert (storage.value.current_usage, storage.value.requested, storage.value.limits) == (
            {"bytes": 1000, "items": 0},
            {"bytes": 1, "items": 0},
            {"bytes": 1000, "items": None},
        )

        with pytest.raises(TollgateError) as other:
            client.record("capture")
        assert (type(other.value), other.value.status, other.value.code, other.value.message) == (
            TollgateError,
            418,
            "http_418",
            "tea",
        )


OPERATION_QUOTA = {
    "error": "quota_exceeded",
    "message": "Daily limit of video exceeded. Used 3/3, requested 1.",
    "upgrade_url": None,
    "retry_after": 7200,
    "plan": "free",
    "operation": "video",
    "window": "day",
    "limit": 3,
    "used": 3,
    "requested": 1,
}
TOO_LARGE = {"error": "payload_too_large", "message": "The request body is too large.", "limit_bytes": 2097152}
STORE_DOWN = {"error": "store_unavailable", "message": "The store is unavailable."}
LIMITS_DOWN = {"error": "limits_unavailable", "message": "The rate limits are unavailable."}


@pytest.mark.parametrize(
    "faults",
    [
        [
            (429, OPERATION_QUOTA, {"Retry-After": "7200"}),
            (413, TOO_LARGE, {"Connection": "close"}),
            (503, STORE_DOWN, {"Retry-After": "1"}),
            (503, LIMITS_DOWN, {}),
        ]
    ],
    indirect=True,
)
def test_an_operation_limit_and_the_newer_codes_raise_their_classes(faults: FaultServer) -> None:
    with Client(faults.url, api_key="k", retry=RetryPolicy(max_retries=0)) as client:
        with pytest.raises(QuotaExceeded) as quota:
            client.record("video")
        refused = quota.value
        assert (refused.operation, refused.window, refused.limit, refused.used, refused.requested) == (
            "video",
            "day",
            3,
            3,
            1,
        )
        assert (refused.usage, refused.retry_after, refused.plan) == (None, 7200, "free")

        with pytest.raises(PayloadTooLarge) as too_large:
            client.record("video")
        assert (too_large.value.status, too_large.value.limit_bytes) == (413, 2097152)

        with pytest.raises(StoreUnavailable) as store:
            client.record("video")
        assert (store.value.status, store.value.retry_after) == (503, 1)

        with pytest.raises(LimitsUnavailable) as limits:
            client.record("video")
        assert isinstance(limits.value, Unavailable) and limits.value.retry_after is None
